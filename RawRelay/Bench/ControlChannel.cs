using System.Net.Sockets;
using System.Text;

namespace RawRelay.Bench;

/// <summary>
/// The bench's connection to a relay's control socket: writes pipelined commands and counts the status
/// lines that come back (<c>OK &lt;n&gt;</c> or <c>ERR ...</c>; data lines are skipped), and, when told what
/// each reply should be, counts the ones that are not. One writer task and one reader task at a time.
/// </summary>
internal sealed class ControlChannel : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _input = new byte[64 * 1024];
    private int _filled;
    private long _ok;
    private long _errors;
    private long _okSum;
    private long[]? _want;
    private long _wrong;
    private string? _firstWrong;
    private long _wantFrom;

    private ControlChannel(Socket socket)
    {
        _socket = socket;
    }

    public long Ok => Interlocked.Read(ref _ok);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The sum of the counts in the OK replies (how many clients were sent to).</summary>
    public long OkSum => Interlocked.Read(ref _okSum);

    /// <summary>Replies that were not the <c>OK &lt;n&gt;</c> <see cref="ExpectCounts"/> asked for.</summary>
    public long WrongReplies => Interlocked.Read(ref _wrong);

    /// <summary>The first of them, with its number, for a note.</summary>
    public string? FirstWrongReply => Volatile.Read(ref _firstWrong);

    /// <summary>
    /// The next replies (counted from the statuses read so far) must be <c>OK want[0]</c>, <c>OK want[1]</c>,
    /// ...: replies come in command order, so reply k answers command k of the batch.
    /// </summary>
    public void ExpectCounts(long[] want)
    {
        _want = want;
        _wantFrom = Ok + Errors;
    }

    public static async Task<ControlChannel> ConnectAsync(string path, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct).ConfigureAwait(false);
            return new ControlChannel(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes all of <paramref name="commands"/> (whole lines) at once.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> commands, CancellationToken ct)
    {
        while (!commands.IsEmpty)
        {
            int sent = await _socket.SendAsync(commands, SocketFlags.None, ct).ConfigureAwait(false);
            commands = commands[sent..];
        }
    }

    /// <summary>Writes whole lines, waiting until the socket took them (the paced latency sender).</summary>
    public void Write(ReadOnlySpan<byte> commands)
    {
        while (!commands.IsEmpty)
            commands = commands[_socket.Send(commands, SocketFlags.None)..];
    }

    /// <summary>Reads replies until <paramref name="count"/> status lines in all have come; false at EOF.</summary>
    public async Task<bool> ReadStatusesAsync(long count, CancellationToken ct)
    {
        while (Ok + Errors < count)
        {
            int read = await _socket.ReceiveAsync(_input.AsMemory(_filled), SocketFlags.None, ct).ConfigureAwait(false);
            if (read == 0)
                return false;
            _filled += read;
            int start = 0;
            int end;
            while ((end = _input.AsSpan(start, _filled - start).IndexOf((byte)'\n')) >= 0)
            {
                CountLine(_input.AsSpan(start, end));
                start += end + 1;
            }

            _input.AsSpan(start, _filled - start).CopyTo(_input);
            _filled -= start;
            if (_filled == _input.Length)
                _filled = 0;                    // an overlong data line: not a status line
        }

        return true;
    }

    /// <summary>Sends one command and returns the count of its OK reply, or -1 for ERR.</summary>
    public async Task<long> CountAsync(string command, CancellationToken ct)
    {
        long okBefore = Ok;
        long sumBefore = OkSum;
        long statuses = Ok + Errors;
        await WriteAsync(Encoding.ASCII.GetBytes(command + "\n"), ct).ConfigureAwait(false);
        if (!await ReadStatusesAsync(statuses + 1, ct).ConfigureAwait(false))
            throw new IOException("control socket closed");
        return Ok > okBefore ? OkSum - sumBefore : -1;
    }

    private void CountLine(ReadOnlySpan<byte> line)
    {
        if (line.EndsWith((byte)'\r'))
            line = line[..^1];
        long reply = Ok + Errors - _wantFrom;
        if (line.StartsWith("OK"u8) && (line.Length == 2 || line[2] == (byte)' '))
        {
            long.TryParse(line[2..].Trim((byte)' '), out long count);
            Interlocked.Add(ref _okSum, count);
            Interlocked.Increment(ref _ok);
            if (_want is { } want && reply >= 0 && reply < want.Length && count != want[reply])
                Wrong(reply, line, want[reply]);
        }
        else if (line.StartsWith("ERR"u8))
        {
            Interlocked.Increment(ref _errors);
            if (_want is { } want && reply >= 0 && reply < want.Length)
                Wrong(reply, line, want[reply]);
        }
    }

    private void Wrong(long reply, ReadOnlySpan<byte> line, long want)
    {
        if (Interlocked.Increment(ref _wrong) == 1)
            Volatile.Write(ref _firstWrong, $"reply {reply + 1} is '{Encoding.UTF8.GetString(line[..Math.Min(line.Length, 100)])}', want 'OK {want}'");
    }

    public void Dispose() => _socket.Dispose();
}
