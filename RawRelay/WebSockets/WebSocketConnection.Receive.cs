using System.Buffers;
using System.Net.Sockets;
using RawRelay.Hosting;
using RawRelay.Hub;

namespace RawRelay.WebSockets;

internal sealed partial class WebSocketConnection : IFrameHandler
{
    private const int ReceiveBufferSize = 8 * 1024;
    private static readonly byte[] PingFrame = FrameWriter.Frame(Opcode.Ping, "rawrelay"u8);

    private FrameDecoder _decoder;
    private bool _awaitingPong;
    private bool _flushAfterRead;
    private byte[]? _echoMessage;
    private int _echoLength;

    /// <summary>
    /// The connection's whole life after the 101, as one async method so that an idle connection holds one
    /// small state machine: reads and decodes until the connection ends. While idle it holds no buffer: it
    /// waits with a zero-byte read and rents one only when bytes are there. After a close or a protocol error
    /// it keeps reading (and ignoring) until the peer or the close timeout ends the TCP connection.
    /// </summary>
    private async Task ReceiveLoopAsync(byte[] received)
    {
        byte[]? buffer = null;
        int filled = 0;
        bool decoding = true;
        Exception? failure = null;
        try
        {
            if (received.Length > 0)
            {
                buffer = ArrayPool<byte>.Shared.Rent(Math.Max(ReceiveBufferSize, received.Length));
                received.CopyTo(buffer, 0);
                filled = received.Length;
                received = [];
                decoding = Decode(buffer, ref filled);
            }

            while (true)
            {
                int read;
                if (filled == 0)
                {
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }

                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
                    read = _socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out SocketError error);
                    if (error == SocketError.WouldBlock)
                        continue;
                    if (error != SocketError.Success)
                        throw new SocketException((int)error);
                }
                else
                {
                    read = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
                }

                if (read == 0)
                {
                    // The client's TCP half-close: after its close frame that is the normal end, but our
                    // answering close frame may still be queued (behind a batch, or a slow write): it goes
                    // out first, within the close timeout.
                    await WhenCloseFrameSentAsync().ConfigureAwait(false);
                    Shutdown(decoding ? EndReason.PeerVanished : EndReason.PeerClosed, CloseCode.None);
                    return;
                }

                _settings.Stats.BytesReceived(read);
                filled += read;
                if (decoding)
                    decoding = Decode(buffer!, ref filled);
                else
                    filled = 0;
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            if (buffer is not null)
                ArrayPool<byte>.Shared.Return(buffer);
            if (_echoMessage is not null)
                ArrayPool<byte>.Shared.Return(_echoMessage);
            _echoMessage = null;
            OnEnded(failure);
        }
    }

    /// <summary>Decodes what is buffered and keeps the undecoded rest at the front. False once decoding ends.</summary>
    private bool Decode(byte[] buffer, ref int filled)
    {
        DecodeStatus status = _decoder.Decode(buffer.AsSpan(0, filled), this, out int consumed);
        buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
        filled -= consumed;
        if (_flushAfterRead)
        {
            _flushAfterRead = false;
            Flush(this);
        }

        switch (status)
        {
            case DecodeStatus.CloseReceived:
                OnPeerClose(_decoder.CloseCode);
                filled = 0;
                return false;
            case DecodeStatus.Failed:
                Shutdown(EndReason.ProtocolError, _decoder.CloseCode);
                filled = 0;
                return false;
            default:
                return true;
        }
    }

    private void OnPeerClose(CloseCode code)
    {
        bool closeNow;
        lock (this)
        {
            _peerClosed = true;
            closeNow = _closeSent;
        }

        if (closeNow)
            DisposeSocket();                    // the client answered our close: the handshake is done
        else
            Shutdown(EndReason.PeerClosed, code); // answer with the same code (RFC 6455 §5.5.1)
    }

    /// <summary>Sends a ping, or ends the connection when the last one went unanswered.</summary>
    public void Ping()
    {
        if (Volatile.Read(ref _awaitingPong))
        {
            Shutdown(EndReason.PingTimeout, CloseCode.GoingAway, "ping timeout");
            return;
        }

        Volatile.Write(ref _awaitingPong, true);
        Send(PingFrame);
    }

    void IFrameHandler.OnMessageData(ReadOnlySpan<byte> payload)
    {
        if (!_settings.Echo)
            return;
        int needed = _echoLength + payload.Length;
        if (_echoMessage is null || _echoMessage.Length < needed)
        {
            byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, ReceiveBufferSize));
            if (_echoMessage is not null)
            {
                _echoMessage.AsSpan(0, _echoLength).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_echoMessage);
            }

            _echoMessage = grown;
        }

        payload.CopyTo(_echoMessage.AsSpan(_echoLength));
        _echoLength = needed;
    }

    void IFrameHandler.OnMessageEnd(Opcode opcode, long length)
    {
        _settings.Stats.MessageReceived();
        if (_settings.Log.IsEnabled(LogLevel.Debug))
            _settings.Log.Debug($"message from {Id} {RemoteAddress}: {opcode.ToString().ToLowerInvariant()}, {length} bytes");
        if (!_settings.Echo)
            return;
        QueueForThisRead(FrameWriter.Frame(opcode, _echoMessage.AsSpan(0, _echoLength)));
        _echoLength = 0;
        if (_echoMessage is not null)
        {
            // Like the receive buffer, the message buffer is not held between messages (it may be --max-message long).
            ArrayPool<byte>.Shared.Return(_echoMessage);
            _echoMessage = null;
        }
    }

    void IFrameHandler.OnPing(ReadOnlySpan<byte> payload) => QueueForThisRead(FrameWriter.Frame(Opcode.Pong, payload));

    void IFrameHandler.OnPong(ReadOnlySpan<byte> payload) => Volatile.Write(ref _awaitingPong, false);

    /// <summary>Queues a frame; the flush comes once the bytes of this read are decoded.</summary>
    private void QueueForThisRead(byte[] frame)
    {
        if (TryEnqueue(frame, this) == EnqueueResult.QueuedNeedsFlush)
            _flushAfterRead = true;
    }

    private void Send(byte[] frame)
    {
        if (TryEnqueue(frame, this) == EnqueueResult.QueuedNeedsFlush)
            Flush(this);
    }
}
