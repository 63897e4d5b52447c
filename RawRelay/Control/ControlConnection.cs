using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using RawRelay.Hosting;
using RawRelay.Hub;
using RawRelay.Transport;
using RawRelay.WebSockets;

namespace RawRelay.Control;

/// <summary>
/// Serves one connection of the control socket: reads lines, runs each command against the hub and
/// answers with data lines and exactly one status line, in order. Commands that arrive together form a
/// batch: frames and replies are written once the batch is done (before waiting for more input), so
/// pipelined commands cost few writes. Not thread-safe: one task per connection.
/// </summary>
internal sealed class ControlConnection
{
    private const int MaxBufferedReplies = 1024 * 1024;
    private const int MaxBatchInput = 4 * 1024 * 1024;
    private const int LineSlack = 256;

    private readonly Socket _socket;
    private readonly Relay _relay;
    private readonly long _maxMessage;
    private readonly RelayLog _log;
    private readonly ArrayBufferWriter<byte> _replies = new(4096);
    private readonly FrameArena _arena = new();
    private readonly FlushBatch _batch = new();
    private bool _clientStoppedReading;
    private long _batchInput;

    public ControlConnection(Socket socket, Relay relay, long maxMessage, RelayLog log)
    {
        _socket = socket;
        _relay = relay;
        _maxMessage = maxMessage;
        _log = log;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var stream = new EndOnResetStream(_socket);
        PipeReader input = PipeReader.Create(stream, new StreamPipeReaderOptions(
            bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var reader = new LineReader(input, (int)Math.Min(int.MaxValue, _maxMessage + LineSlack));
        try
        {
            while (await RunNextAsync(reader, stream, ct).ConfigureAwait(false))
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the relay is stopping: nothing left to answer.
        }
        finally
        {
            await EndLastBatchAsync(stream).ConfigureAwait(false);
            reader.Complete();
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads and runs one command; false when the connection is done.</summary>
    private async ValueTask<bool> RunNextAsync(LineReader reader, NetworkStream stream, CancellationToken ct)
    {
        LineRead read;
        while (!reader.TryReadLine(out read) && !reader.IsCompleted)
        {
            // About to read more. Unless more bytes are already waiting in the socket (then the batch
            // grows, up to MaxBatchInput, so each connection gets one write for many frames), the client
            // may have to be waited for: the batch so far goes out first. Asked before every read, as a
            // client may also pause in the middle of a line.
            if (_batchInput >= MaxBatchInput || _socket.Available == 0)
                await EndBatchAsync(stream, ct).ConfigureAwait(false);
            await reader.FillAsync(ct).ConfigureAwait(false);
        }

        if (read.IsEnd)
            return false;
        if (read.Status == LineStatus.TooLong)
        {
            Reply("ERR line too long");
            return true;
        }

        _batchInput += read.Line.Length + 1;
        ControlCommand command = RunLine(read.Line);
        if (command.HasPayload)
        {
            _batchInput += command.Length;
            if (!reader.IsBuffered(command.Length))
                await EndBatchAsync(stream, ct).ConfigureAwait(false);   // the payload may be slow to come
            ReadOnlySequence<byte>? payload = await reader.ReadExactlyAsync(command.Length, ct).ConfigureAwait(false);
            if (payload is null)
                return false;                   // cut short by the end of the stream: not sent
            RunPayloadCommand(command, payload.Value);
        }

        if (_replies.WrittenCount > MaxBufferedReplies)
            await EndBatchAsync(stream, ct).ConfigureAwait(false);

        // QUIT ends the connection; so does a length too large, since its payload cannot be skipped safely.
        return command.Kind is not (CommandKind.Quit or CommandKind.PayloadTooLarge);
    }

    /// <summary>Parses a line and runs it, unless its payload is still to come.</summary>
    private ControlCommand RunLine(in ReadOnlySequence<byte> line)
    {
        byte[]? rented = null;
        ReadOnlySpan<byte> span = line.IsSingleSegment ? line.FirstSpan : Copy(line, out rented);
        try
        {
            ControlCommand command = ControlCommandParser.Parse(span, _maxMessage);
            Run(command, span);
            return command;
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void Run(in ControlCommand command, ReadOnlySpan<byte> line)
    {
        switch (command.Kind)
        {
            case CommandKind.Empty:
                break;
            case CommandKind.SendMessage:
                ReplyOk(_relay.Send(command.Id, Opcode.Text, line[command.MessageStart..], _arena, _batch));
                break;
            case CommandKind.BroadcastMessage:
                ReplyOk(_relay.Broadcast(Opcode.Text, line[command.MessageStart..], _arena, _batch));
                break;
            case CommandKind.List:
                List();
                break;
            case CommandKind.Close:
                ReplyOk(_relay.Close(command.Id, (CloseCode)command.CloseCode, command.Reason));
                break;
            case CommandKind.Stats:
                Stats();
                break;
            case CommandKind.Help:
                foreach (string helpLine in ControlCommandParser.Help)
                    Reply(helpLine);
                Reply("OK");
                break;
            case CommandKind.Quit:
                Reply("OK bye");
                break;
            case CommandKind.Invalid or CommandKind.PayloadTooLarge:
                Reply("ERR " + command.Error);
                break;
        }
    }

    private void RunPayloadCommand(ControlCommand command, ReadOnlySequence<byte> payload)
    {
        bool text = command.Kind is CommandKind.SendText or CommandKind.BroadcastText;
        if (text && !Utf8Validator.IsValid(payload))
        {
            Reply("ERR message is not valid UTF-8");
            return;
        }

        byte[]? rented = null;
        ReadOnlySpan<byte> span = payload.IsSingleSegment ? payload.FirstSpan : Copy(payload, out rented);
        try
        {
            Opcode opcode = text ? Opcode.Text : Opcode.Binary;
            ReplyOk(command.Kind is CommandKind.SendText or CommandKind.SendBinary
                ? _relay.Send(command.Id, opcode, span, _arena, _batch)
                : _relay.Broadcast(opcode, span, _arena, _batch));
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void List()
    {
        IRelayConnection[] connections = _relay.Registry.Snapshot();
        foreach (IRelayConnection connection in connections)
        {
            Append(connection.Id);
            Append(" ");
            Append(connection.RemoteAddress);
            Append("\n");
        }

        ReplyOk(connections.Length);
    }

    private void Stats()
    {
        RelayStats stats = _relay.Stats;
        Reply($"connections {_relay.Registry.Count}");
        Reply($"connections_total {stats.ConnectionsTotal}");
        Reply($"messages_out {stats.MessagesOut}");
        Reply($"messages_in {stats.MessagesIn}");
        Reply($"bytes_out {stats.BytesOut}");
        Reply($"bytes_in {stats.BytesIn}");
        Reply($"slow_clients_dropped {stats.SlowClientsDropped}");
        Reply($"uptime_seconds {stats.UptimeSeconds}");
        Reply("OK");
    }

    private void ReplyOk(int count)
    {
        Span<byte> line = _replies.GetSpan(16);
        "OK "u8.CopyTo(line);
        count.TryFormat(line[3..], out int digits, default, CultureInfo.InvariantCulture);
        line[3 + digits] = (byte)'\n';
        _replies.Advance(4 + digits);
    }

    private void Reply(string line)
    {
        Append(line);
        Append("\n");
    }

    private void Append(string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        Encoding.UTF8.GetBytes(text, _replies.GetSpan(length));
        _replies.Advance(length);
    }

    /// <summary>Sends the frames of the batch so far, then its replies.</summary>
    private async ValueTask EndBatchAsync(NetworkStream stream, CancellationToken ct)
    {
        _batch.FlushAll();
        _batchInput = 0;
        await WriteRepliesAsync(stream, ct).ConfigureAwait(false);
    }

    private async ValueTask WriteRepliesAsync(NetworkStream stream, CancellationToken ct)
    {
        if (_replies.WrittenCount == 0)
            return;
        try
        {
            if (!_clientStoppedReading)
                await stream.WriteAsync(_replies.WrittenMemory, ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // A client that wrote its commands and closed at once (fire and forget, as a PHP script may)
            // reads no replies; the rest of what it wrote still runs (SPEC), its replies are dropped.
            _clientStoppedReading = true;
            _log.Debug($"control client left before reading its replies: {e.InnerException?.Message ?? e.Message}");
        }
        finally
        {
            _replies.ResetWrittenCount();
        }
    }

    /// <summary>The last batch of a connection that is ending: its replies get at most a second.</summary>
    private async ValueTask EndLastBatchAsync(NetworkStream stream)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await EndBatchAsync(stream, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A client that does not read its last replies within a second does not get them.
            _log.Debug($"control client did not take its last replies: {e.GetType().Name}");
        }
    }

    private static ReadOnlySpan<byte> Copy(in ReadOnlySequence<byte> bytes, out byte[] rented)
    {
        rented = ArrayPool<byte>.Shared.Rent((int)bytes.Length);
        bytes.CopyTo(rented);
        return rented.AsSpan(0, (int)bytes.Length);
    }
}
