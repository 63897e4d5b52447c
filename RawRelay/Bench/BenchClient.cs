using System.Net;
using System.Net.Sockets;
using System.Text;
using RawRelay.WebSockets;

namespace RawRelay.Bench;

/// <summary>
/// One WebSocket client of the bench: connects from its source address, upgrades with id
/// <c>c&lt;index&gt;</c> (and what its <see cref="ClientRequest"/> adds), then reads frames until it is
/// disposed and reports each whole message to its <see cref="ClientPool"/>. Holds no buffer while idle (zero-byte read, then a per-thread buffer).
/// Thread-safe for <see cref="Dispose"/>; the receive loop is its only reader.
/// </summary>
internal sealed class BenchClient : IServerFrameSink, IDisposable
{
    private const int IpBindAddressNoPort = 24;   // IP_BIND_ADDRESS_NO_PORT: pick the port at connect()
    private const int MaxResponseHead = 2048;

    [ThreadStatic]
    private static byte[]? t_receiveBuffer;

    private readonly ClientPool _pool;
    private readonly Socket _socket;
    private ServerFrameReader _reader;
    private long _readTimestamp;
    private int _messagesInRead;

    public BenchClient(ClientPool pool, int index)
    {
        _pool = pool;
        Index = index;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    }

    public int Index { get; }

    public bool IsOpen { get; private set; }

    /// <summary>Connects and upgrades; the failure's reason, or null when the connection is open.</summary>
    public async Task<string?> ConnectAsync(IPAddress source, int port, string key, string accept, ClientRequest how, CancellationToken ct)
    {
        try
        {
            _socket.SetRawSocketOption((int)SocketOptionLevel.IP, IpBindAddressNoPort, BitConverter.GetBytes(1));
            _socket.Bind(new IPEndPoint(source, 0));
            await _socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct).ConfigureAwait(false);
            byte[] request = Encoding.ASCII.GetBytes(
                $"GET /websocket?id=c{Index}{how.QueryAfterId(Index)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n" +
                $"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n" +
                (how.OfferV1 ? $"Sec-WebSocket-Protocol: {ClientRequest.V1Protocol}\r\n" : "") + "\r\n");
            await _socket.SendAsync(request, SocketFlags.None, ct).ConfigureAwait(false);
            byte[] head = new byte[MaxResponseHead];
            int filled = 0;
            int end;
            while ((end = head.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (filled == head.Length)
                    return "response head too long";
                int read = await _socket.ReceiveAsync(head.AsMemory(filled), SocketFlags.None, ct).ConfigureAwait(false);
                if (read == 0)
                    return "EOF during handshake";
                filled += read;
            }

            string text = Encoding.ASCII.GetString(head, 0, end);
            if (!text.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
                return "not 101: " + text.Split('\r')[0];
            if (!text.Contains("\r\nSec-WebSocket-Accept: " + accept, StringComparison.OrdinalIgnoreCase))
                return "bad Sec-WebSocket-Accept";
            if (how.OfferV1 && !SelectsV1(text))
                return "101 does not select " + ClientRequest.V1Protocol;
            IsOpen = true;
            _socket.Blocking = false;
            if (filled > end + 4)
            {
                Feed(head.AsSpan(end + 4, filled - end - 4));
            }

            return null;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return e.Message;
        }
    }

    /// <summary>Whether a 101 head has <c>Sec-WebSocket-Protocol: rawrelay.v1</c> (the field name in any case).</summary>
    public static bool SelectsV1(string head)
    {
        foreach (string line in head.Split("\r\n"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Equals("Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase))
                return line[(colon + 1)..].Trim(' ', '\t') == ClientRequest.V1Protocol;
        }

        return false;
    }

    /// <summary>Reads until the server or <see cref="Dispose"/> ends the connection.</summary>
    public async Task ReceiveLoopAsync()
    {
        try
        {
            while (IsOpen)
            {
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                if (!DrainReadable())
                    break;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Disposed at the end of the scenario, or reset by the relay.
        }

        if (IsOpen)
            OnEnd("server closed connection");
    }

    /// <summary>Reads what the kernel holds without waiting; false once the connection ended.</summary>
    private bool DrainReadable()
    {
        byte[] buffer = t_receiveBuffer ??= GC.AllocateUninitializedArray<byte>(256 * 1024);
        while (true)
        {
            int read = _socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
                return true;
            if (error != SocketError.Success || read == 0)
                return false;
            Feed(buffer.AsSpan(0, read));
            if (read < buffer.Length)
                return IsOpen;
        }
    }

    private void Feed(ReadOnlySpan<byte> received)
    {
        _readTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        _messagesInRead = 0;
        _reader.Feed(received, this);
        if (_messagesInRead > 0)
            _pool.Delivered(_messagesInRead);
    }

    void IServerFrameSink.OnMessage(ReadOnlySpan<byte> prefix)
    {
        _messagesInRead++;
        _pool.OnMessage(Index, prefix, _readTimestamp);
    }

    void IServerFrameSink.OnPing(ReadOnlySpan<byte> payload)
    {
        Span<byte> pong = stackalloc byte[6 + 125];
        pong[0] = 0x80 | (byte)Opcode.Pong;
        pong[1] = (byte)(0x80 | payload.Length);
        uint mask = (uint)Random.Shared.Next();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(pong[2..], mask);
        payload.CopyTo(pong[6..]);
        Masking.Apply(pong.Slice(6, payload.Length), mask, 0);
        _socket.Send(pong[..(6 + payload.Length)], SocketFlags.None, out _);
    }

    public void OnEnd(string why)
    {
        if (!IsOpen)
            return;
        IsOpen = false;
        _pool.OnClosed(Index, why);
    }

    /// <summary>Leaves as a page does: a masked close frame with code 1000, then the socket is closed.</summary>
    public void CloseNormally()
    {
        if (IsOpen)
        {
            IsOpen = false;                     // our own close: not reported as closed by the server
            ReadOnlySpan<byte> close = [0x80 | (byte)Opcode.Close, 0x82, 0, 0, 0, 0, 0x03, 0xE8];   // zero mask, 1000
            _socket.Send(close, SocketFlags.None, out _);
        }

        _socket.Dispose();
    }

    public void Dispose()
    {
        IsOpen = false;
        _socket.Dispose();
    }
}
