using System.Net.Sockets;
using System.Text;

namespace RawRelay.Tests.Infrastructure;

/// <summary>A client of the control socket that speaks it byte for byte. Not thread-safe.</summary>
internal sealed class ControlClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private ControlClient(Socket socket) => _socket = socket;

    public static ControlClient Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return new ControlClient(socket);
    }

    public Socket Socket => _socket;

    /// <summary>Sends one command line and returns its status line (data lines are skipped).</summary>
    public async Task<string> CommandAsync(string line, CancellationToken ct = default)
    {
        (_, string status) = await CommandWithDataAsync(line, ct);
        return status;
    }

    /// <summary>Sends one command line; returns its data lines and its status line.</summary>
    public async Task<(List<string> Data, string Status)> CommandWithDataAsync(string line, CancellationToken ct = default)
    {
        await WriteAsync(line + "\n", ct);
        return await ReadReplyAsync(ct);
    }

    /// <summary>Reads lines up to the first status line (<c>OK...</c> or <c>ERR...</c>).</summary>
    public async Task<(List<string> Data, string Status)> ReadReplyAsync(CancellationToken ct = default)
    {
        var data = new List<string>();
        while (true)
        {
            string? line = await ReadLineAsync(ct).WithTimeout();
            if (line is null)
                throw new EndOfStreamException("control socket closed before a status line; data so far: " + string.Join(" | ", data));
            if (IsStatus(line))
                return (data, line);
            data.Add(line);
        }
    }

    /// <summary>
    /// Writes many single-line commands (each answered by one status line, as SEND and BROADCAST are)
    /// back to back while reading their replies at the same time; returns the replies in order.
    /// </summary>
    public async Task<string[]> PipelineAsync(IReadOnlyList<string> lines, CancellationToken ct = default)
    {
        Task writer = Task.Run(async () =>
        {
            var chunk = new StringBuilder();
            foreach (string line in lines)
            {
                chunk.Append(line).Append('\n');
                if (chunk.Length < 32 * 1024)
                    continue;
                await WriteAsync(chunk.ToString(), ct);
                chunk.Clear();
            }

            await WriteAsync(chunk.ToString(), ct);
        }, ct);
        var replies = new string[lines.Count];
        for (int i = 0; i < replies.Length; i++)
            replies[i] = await ReadLineAsync(ct) ?? throw new EndOfStreamException($"control socket closed after {i} of {replies.Length} replies");
        await writer;
        return replies;
    }

    public static bool IsStatus(string line) => line == "OK" || line.StartsWith("OK ", StringComparison.Ordinal) || line.StartsWith("ERR ", StringComparison.Ordinal);

    public Task WriteAsync(string text, CancellationToken ct = default) => WriteAsync(Encoding.UTF8.GetBytes(text), ct);

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None, ct);
            bytes = bytes[sent..];
        }
    }

    /// <summary>The next line without its LF; null at the end of the stream.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken ct = default)
    {
        while (true)
        {
            int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (lf >= 0)
            {
                string line = Encoding.UTF8.GetString(_buffer, _start, lf - _start);
                _start = lf + 1;
                return line;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
                throw new InvalidOperationException("reply line longer than the test buffer");
            int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
            if (read == 0)
                return _end > _start ? Flush() : null;
            _end += read;
        }

        string Flush()
        {
            string rest = Encoding.UTF8.GetString(_buffer, _start, _end - _start);
            _start = _end;
            return rest;
        }
    }

    /// <summary>The next <paramref name="count"/> bytes, whatever they hold (a WATCH payload); throws at the end of the stream.</summary>
    public async Task<byte[]> ReadBytesAsync(int count, CancellationToken ct = default)
    {
        var bytes = new byte[count];
        int have = Math.Min(count, _end - _start);
        Buffer.BlockCopy(_buffer, _start, bytes, 0, have);
        _start += have;
        while (have < count)
        {
            int read = await _socket.ReceiveAsync(bytes.AsMemory(have), SocketFlags.None, ct);
            if (read == 0)
                throw new EndOfStreamException($"control socket closed after {have} of {count} bytes");
            have += read;
        }

        return bytes;
    }

    /// <summary>True once the relay has closed this connection (reads return end of stream).</summary>
    public async Task<bool> IsClosedByPeerAsync(CancellationToken ct = default) =>
        await ReadLineAsync(ct).WithTimeout() is null;

    public void Dispose() => _socket.Dispose();
}
