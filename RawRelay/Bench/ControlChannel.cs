using System.Net.Sockets;
using System.Text;

namespace RawRelay.Bench;

/// <summary>
/// The bench's connection to a relay's control socket: writes pipelined commands and counts the status
/// lines that come back (<c>OK &lt;n&gt;</c> or <c>ERR ...</c>; data lines are skipped). One writer task and
/// one reader task at a time.
/// </summary>
internal sealed class ControlChannel : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _input = new byte[64 * 1024];
    private int _filled;
    private long _ok;
    private long _errors;
    private long _okSum;

    private ControlChannel(Socket socket)
    {
        _socket = socket;
    }

    public long Ok => Interlocked.Read(ref _ok);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The sum of the counts in the OK replies (how many clients were sent to).</summary>
    public long OkSum => Interlocked.Read(ref _okSum);

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
        if (line.StartsWith("OK"u8) && (line.Length == 2 || line[2] == (byte)' '))
        {
            long.TryParse(line[2..].Trim((byte)' '), out long count);
            Interlocked.Add(ref _okSum, count);
            Interlocked.Increment(ref _ok);
        }
        else if (line.StartsWith("ERR"u8))
        {
            Interlocked.Increment(ref _errors);
        }
    }

    public void Dispose() => _socket.Dispose();
}
