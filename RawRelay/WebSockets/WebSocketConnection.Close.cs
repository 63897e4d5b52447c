using System.Net.Sockets;

namespace RawRelay.WebSockets;

/// <summary>The closing handshake (RFC 6455 §5.5.1, §7): our close frame, the peer's, and who closes TCP.</summary>
internal sealed partial class WebSocketConnection
{
    private bool _closeQueued;
    private bool _closeSent;
    private bool _peerClosed;

    /// <summary>Queues the close frame after whatever is queued; nothing is queued after it.</summary>
    private void QueueClose(CloseCode code, string reason)
    {
        bool schedule;
        lock (this)
        {
            if (_closeQueued || IsDisposed)
                return;
            _closeQueued = true;
            schedule = QueueLocked(default, FrameWriter.CloseFrame(code, reason));
        }

        if (schedule)
            SendScheduler.Schedule(this);
    }

    /// <summary>The client's close frame came: answer it, or finish the handshake we started.</summary>
    private void OnPeerClose(CloseCode code, CloseCode received)
    {
        bool closeNow;
        lock (this)
        {
            _peerClosed = true;
            NoteCloseLocked(received);
            closeNow = _closeSent;
        }

        if (closeNow)
            DisposeSocket();                    // the client answered our close: the handshake is done
        else
            Shutdown(EndReason.PeerClosed, code); // answer with the same code (RFC 6455 §5.5.1)
    }

    /// <summary>After the queue ran dry: once our close frame is out, close TCP if the client's close came.</summary>
    private void OnQueueDrained()
    {
        bool closeNow, failed;
        lock (this)
        {
            if (!_closeQueued || _writer != WriterState.Idle || !_queue.IsEmpty || _closeSent)
                return;
            _closeSent = true;
            NoteCloseLocked(_endCode);
            _extras?.CloseSent?.TrySetResult();
            closeNow = _peerClosed;
            failed = _endReason == EndReason.ProtocolError;
        }

        if (closeNow)
            DisposeSocket();                    // RFC 6455 §7.1.1: the server closes TCP first
        else if (failed)
            HalfClose();
    }

    /// <summary>
    /// After failing the connection (RFC 6455 §7.1.7) nothing more will be read from the client's broken
    /// stream, so our FIN follows the close frame at once; the receive loop still drains what the client
    /// sends until it closes or the close timeout passes, so that unread bytes do not turn into an RST.
    /// </summary>
    private void HalfClose()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The connection is already gone: nothing left to half-close.
        }
    }

    /// <summary>
    /// Completes once our close frame is written, at once when none is queued or the socket is gone, and at
    /// the latest after the close timeout.
    /// </summary>
    private async Task WhenCloseFrameSentAsync()
    {
        Task sent;
        lock (this)
        {
            if (!_closeQueued || _closeSent || IsDisposed)
                return;
            ConnectionExtras extras = Extras;
            extras.CloseSent ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            sent = extras.CloseSent.Task;
        }

        await Task.WhenAny(sent, Task.Delay(_context.Options.CloseTimeout)).ConfigureAwait(false);
    }
}
