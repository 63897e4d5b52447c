using System.Net;
using System.Runtime.CompilerServices;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// A WebSocket client over a plain socket, for byte-exact tests: it sends whatever bytes a test builds
/// and parses the relay's frames strictly (server frames must be unmasked). Not thread-safe.
/// </summary>
internal sealed class RawWebSocketClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawWebSocketClient(Socket socket) => _socket = socket;

    public Socket Socket => _socket;

    /// <summary>The HTTP response head the relay sent.</summary>
    public string ResponseHead { get; private set; } = "";

    /// <summary>
    /// Connects and completes the handshake; throws unless the relay answers 101 with the right accept key.
    /// <paramref name="extraHeaders"/> are more request header lines, each ending in CRLF.
    /// </summary>
    public static async Task<RawWebSocketClient> ConnectAsync(int port, string id, CancellationToken ct = default,
        string path = "/websocket", IPAddress? source = null, string extraHeaders = "", int receiveBufferSize = 0,
        string query = "")
    {
        RawWebSocketClient client = await OpenAsync(port, ct, source, receiveBufferSize);
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await client.SendAsync(Encoding.ASCII.GetBytes(
            $"GET {path}?id={Uri.EscapeDataString(id)}{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n" +
            $"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extraHeaders}\r\n"), ct);
        string head = await client.ReadResponseHeadAsync(ct).WithTimeout();
        if (!head.StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal))
            throw new InvalidOperationException("handshake refused: " + head);
        string expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        if (!head.Contains($"\r\nSec-WebSocket-Accept: {expected}\r\n", StringComparison.Ordinal))
            throw new InvalidOperationException("wrong Sec-WebSocket-Accept: " + head);
        return client;
    }

    /// <summary>
    /// A TCP connection with nothing sent yet. A <paramref name="receiveBufferSize"/> above 0 shrinks the
    /// kernel's receive buffer (set before connecting, so the window is small from the start).
    /// </summary>
    public static async Task<RawWebSocketClient> OpenAsync(int port, CancellationToken ct = default, IPAddress? source = null,
        int receiveBufferSize = 0)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize > 0)
            socket.ReceiveBufferSize = receiveBufferSize;
        if (source is not null)
            socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
        return new RawWebSocketClient(socket);
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None, ct);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Sends the bytes (frames concatenated with a collection expression, say) in one write.</summary>
    public Task SendAsync(byte[] bytes, CancellationToken ct = default) => SendAsync(bytes.AsMemory(), ct);

    /// <summary>Sends the bytes one write per byte.</summary>
    public async Task SendByteByByteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        for (int i = 0; i < bytes.Length; i++)
            await SendAsync(bytes.Slice(i, 1), ct);
    }

    public Task SendTextAsync(string text, CancellationToken ct = default) => SendAsync(ClientFrames.Text(text), ct);

    /// <summary>Reads the response head up to its blank line; the bytes after it stay buffered.</summary>
    public async Task<string> ReadResponseHeadAsync(CancellationToken ct = default)
    {
        while (true)
        {
            int end = IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                ResponseHead = Encoding.ASCII.GetString(_buffer, _start, end + 4 - _start);
                _start = end + 4;
                return ResponseHead;
            }

            if (!await FillAsync(ct))
                throw new EndOfStreamException("connection closed before the response head ended: " + Encoding.ASCII.GetString(_buffer, _start, _end - _start));
        }
    }

    /// <summary>Reads the whole HTTP response (head and body) up to the end of the stream.</summary>
    public async Task<HttpReply> ReadHttpResponseAsync(CancellationToken ct = default)
    {
        string head = await ReadResponseHeadAsync(ct);
        while (await FillAsync(ct))
        {
        }

        byte[] body = _buffer[_start.._end];
        _start = _end;
        return HttpReply.Parse(head, body);
    }

    /// <summary>The next frame from the relay; throws at the end of the stream.</summary>
    public async Task<WsFrame> ReceiveFrameAsync(CancellationToken ct = default)
    {
        while (true)
        {
            if (TryParseFrame(out WsFrame? frame))
                return frame!;
            if (!await FillAsync(ct))
                throw new EndOfStreamException("connection closed while waiting for a frame");
        }
    }

    /// <summary>The next data message's text, skipping pings (which are answered).</summary>
    public async Task<string> ReceiveTextAsync(CancellationToken ct = default)
    {
        WsFrame frame = await ReceiveDataFrameAsync(ct);
        if (frame.Opcode != WsFrame.Text)
            throw new InvalidOperationException($"expected a text frame, got {frame}");
        return frame.Text8;
    }

    /// <summary>The next text or binary frame; pings on the way are answered with pongs.</summary>
    public async Task<WsFrame> ReceiveDataFrameAsync(CancellationToken ct = default)
    {
        while (true)
        {
            WsFrame frame = await ReceiveFrameAsync(ct);
            if (frame.Opcode == WsFrame.Ping)
            {
                await SendAsync(ClientFrames.Build(WsFrame.Pong, frame.Payload), ct);
                continue;
            }

            return frame;
        }
    }

    /// <summary>Waits for a close frame (skipping other frames) and returns its code.</summary>
    public async Task<int> ReceiveCloseCodeAsync(CancellationToken ct = default)
    {
        while (true)
        {
            WsFrame frame = await ReceiveFrameAsync(ct);
            if (frame.Opcode == WsFrame.Close)
                return frame.CloseCode;
        }
    }

    /// <summary>
    /// Expects the very next frame to be a close with <paramref name="code"/> and the TCP connection to
    /// end right after it, without the client's help (no close frame or FIN is sent back). Returns the close frame.
    /// </summary>
    public async Task<WsFrame> ExpectClosedWithAsync(int code, CancellationToken ct = default,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        WsFrame frame = await ReceiveFrameAsync(ct).WithTimeout(file: file, line: line);
        if (frame.Opcode != WsFrame.Close || frame.CloseCode != code)
            throw new InvalidOperationException($"expected close {code}, got {frame} code {frame.CloseCode} at {Path.GetFileName(file)}:{line}");
        if (!await ReceiveEndOfStreamAsync(ct).WithTimeout(file: file, line: line))
            throw new InvalidOperationException($"bytes after the close frame at {Path.GetFileName(file)}:{line}");
        return frame;
    }

    /// <summary>True when the relay closed the TCP connection with no further bytes (EOF or reset).</summary>
    public async Task<bool> ReceiveEndOfStreamAsync(CancellationToken ct = default)
    {
        try
        {
            if (_end > _start)
                return false;
            return !await FillAsync(ct);
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private bool TryParseFrame(out WsFrame? frame)
    {
        frame = null;
        ReadOnlySpan<byte> data = _buffer.AsSpan(_start, _end - _start);
        if (data.Length < 2)
            return false;
        bool masked = (data[1] & 0x80) != 0;
        long length = data[1] & 0x7F;
        int header = 2;
        if (length == 126)
        {
            if (data.Length < 4)
                return false;
            length = (data[2] << 8) | data[3];
            header = 4;
        }
        else if (length == 127)
        {
            if (data.Length < 10)
                return false;
            length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(data[2..]);
            header = 10;
        }

        if (masked)
            header += 4;
        if (data.Length < header + length)
            return false;
        byte[] payload = data.Slice(header, (int)length).ToArray();
        if (masked)
        {
            for (int i = 0; i < payload.Length; i++)
                payload[i] ^= data[header - 4 + (i % 4)];
        }

        frame = new WsFrame((data[0] & 0x80) != 0, (data[0] >> 4) & 7, data[0] & 0x0F, masked, payload)
        {
            Wire = data[..(header + (int)length)].ToArray(),
        };
        _start += header + (int)length;
        return true;
    }

    private int IndexOf(ReadOnlySpan<byte> needle)
    {
        int at = _buffer.AsSpan(_start, _end - _start).IndexOf(needle);
        return at < 0 ? -1 : _start + at;
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
        _end += read;
        return read > 0;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A parsed HTTP response.</summary>
internal sealed record HttpReply(int Status, string Head, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name)
    {
        foreach (string line in Head.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Equals(name, StringComparison.OrdinalIgnoreCase))
                return line[(colon + 1)..].Trim();
        }

        return null;
    }

    public static HttpReply Parse(string head, byte[] body) =>
        new(int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), head, body);

    /// <summary>Sends raw request bytes on a new connection and reads the whole response.</summary>
    public static async Task<HttpReply> ExchangeAsync(int port, string request, CancellationToken ct = default)
    {
        await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(port, ct);
        await client.SendAsync(Encoding.UTF8.GetBytes(request), ct);
        return await client.ReadHttpResponseAsync(ct).WithTimeout();
    }
}
