using System.Buffers;
using System.Net.Sockets;
using RawRelay.Diagnostics;

namespace RawRelay.WebSockets;

internal sealed partial class WebSocketConnection : IFrameHandler
{
    private const int ReceiveBufferSize = 8 * 1024;

    /// <summary>
    /// Bytes a receive loop decodes before it lets others run. Its continuations run on the socket engine's
    /// threads: a client whose bytes are always there (a flood of small frames, or of large messages) would
    /// otherwise keep an engine thread, and every socket it serves, to itself.
    /// </summary>
    private const int YieldAfterBytes = 64 * 1024;

    private FrameDecoder _decoder;
    private int _bytesSinceWait;

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

                    await WaitAsync(_socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None)).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
                    read = _socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out SocketError error);
                    if (error == SocketError.WouldBlock)
                        continue;
                    if (error != SocketError.Success)
                        throw new SocketException((int)error);
                }
                else
                {
                    read = await WaitAsync(_socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None)).ConfigureAwait(false);
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

                _context.Stats.BytesReceived(read);
                filled += read;
                if (decoding)
                    decoding = Decode(buffer!, ref filled);
                else
                    filled = 0;

                _bytesSinceWait += read;
                if (_bytesSinceWait >= YieldAfterBytes)
                {
                    // Fair share: off the engine thread, to the back of the pool's queue.
                    _bytesSinceWait = 0;
                    await Task.Yield();
                }
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
            ReleaseKeptMessage();
            OnEnded(failure);
        }
    }

    /// <summary>A receive that really waits for the peer ends this loop's turn: the count of its work starts again.</summary>
    private ValueTask<int> WaitAsync(ValueTask<int> receive)
    {
        if (!receive.IsCompleted)
            _bytesSinceWait = 0;
        return receive;
    }

    /// <summary>
    /// Decodes what is buffered and keeps the undecoded rest at the front; what it queues (pongs, echoes)
    /// goes out in one write after it. False once decoding ends.
    /// </summary>
    private bool Decode(byte[] buffer, ref int filled)
    {
        using SendScheduler.CorkScope cork = SendScheduler.Cork();
        DecodeStatus status = _decoder.Decode(buffer.AsSpan(0, filled), this, out int consumed);
        buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
        filled -= consumed;
        switch (status)
        {
            case DecodeStatus.CloseReceived:
                OnPeerClose(_decoder.CloseCode, _decoder.ReceivedCloseCode);
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

    void IFrameHandler.OnMessageData(ReadOnlySpan<byte> payload)
    {
        if (!KeepsMessage || _endReason != EndReason.None)
            return;
        int needed = KeptLength + payload.Length;
        if (KeptMessage is null || KeptMessage.Length < needed)
        {
            byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, ReceiveBufferSize));   // pooled sizes double
            if (!_context.KeptMessages.TryResize(ref Extras.KeptReserved, grown.Length))
            {
                // Messages coming in from all clients at once hold too much: this one is refused, as a
                // control connection's unfinished input is (see Limits).
                ArrayPool<byte>.Shared.Return(grown);
                ReleaseKeptMessage();
                _context.Stats.BusyRefused();
                Shutdown(EndReason.Busy, CloseCode.TryAgainLater, "busy");
                return;
            }

            if (KeptMessage is not null)
            {
                KeptMessage.AsSpan(0, KeptLength).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(KeptMessage);
            }

            KeptMessage = grown;
        }

        payload.CopyTo(KeptMessage.AsSpan(KeptLength));
        KeptLength = needed;
    }

    void IFrameHandler.OnMessageEnd(Opcode opcode, long length)
    {
        _context.Stats.MessageReceived();
        if (_context.Log.IsEnabled(LogLevel.Debug))
            _context.Log.Debug($"message from {Id} {RemoteAddress}: {opcode.ToString().ToLowerInvariant()}, {length} bytes");
        if (!TakeMessageAllowance())
        {
            ReleaseKeptMessage();
            _context.Stats.RateLimitHit();
            Shutdown(EndReason.RateLimited, CloseCode.PolicyViolation, "rate limit");
            return;
        }

        if (KeptLength != length || _endReason != EndReason.None)
        {
            ReleaseKeptMessage();                // began before anyone wanted it: not whole, so not kept
            return;
        }

        ReadOnlySpan<byte> message = KeptMessage.AsSpan(0, KeptLength);
        if (_context.Options.Echo)
            EnqueueOwn(opcode, message);
        PublishMessage(opcode, message);
        ReleaseKeptMessage();
    }

    /// <summary>Like the receive buffer, the message buffer is not held between messages (it may be --max-message long).</summary>
    private void ReleaseKeptMessage()
    {
        KeptLength = 0;
        if (KeptMessage is null)
            return;
        ArrayPool<byte>.Shared.Return(KeptMessage);
        KeptMessage = null;
        _context.KeptMessages.TryResize(ref _extras!.KeptReserved, 0);     // a kept message lives in the extras
    }

    void IFrameHandler.OnPing(ReadOnlySpan<byte> payload) => EnqueueOwn(Opcode.Pong, payload);

    void IFrameHandler.OnPong(ReadOnlySpan<byte> payload) => OnPong(payload);

    /// <summary>Queues a frame of this connection's own (a pong, an echo), copied into its queue.</summary>
    private void EnqueueOwn(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        int length = FrameWriter.HeaderLength(payload.Length) + payload.Length;
        byte[]? rented = length > 256 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> frame = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
        int header = FrameWriter.WriteHeader(frame, opcode, payload.Length);
        payload.CopyTo(frame[header..]);
        Enqueue(default, frame);
        if (rented is not null)
            ArrayPool<byte>.Shared.Return(rented);
    }
}
