using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace RawRelay.Tests.Infrastructure;

/// <summary>One POST the endpoint received: its head's fields and the exact body.</summary>
internal sealed record WebhookPost(string RequestLine, Dictionary<string, string> Headers, byte[] Body, DateTime ReceivedAt)
{
    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out string? value) ? value : "";
}

/// <summary>
/// A webhook endpoint on loopback that speaks HTTP/1.1 over a plain socket, independent of the relay's
/// client: it records every POST byte for byte and answers each as <see cref="Answer"/> says (a status, a
/// delay first, or no answer at all). Keep-alive connections; one request at a time per connection.
/// Thread-safe.
/// </summary>
internal sealed class WebhookEndpoint : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<WebhookPost> _posts = Channel.CreateUnbounded<WebhookPost>();
    private readonly List<Socket> _sockets = [];
    private readonly Task _accepting;

    private WebhookEndpoint(TcpListener listener)
    {
        _listener = listener;
        _accepting = AcceptAsync();
    }

    /// <summary>How to answer the n-th POST (0 first): a status and how long to wait before it; null for never.</summary>
    public Func<int, (int Status, TimeSpan Delay)?> Answer { get; set; } = _ => (200, TimeSpan.Zero);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri Url => new($"http://127.0.0.1:{Port}/hook.php");

    /// <summary>POSTs received so far, answered or not.</summary>
    public int Received { get; private set; }

    public static WebhookEndpoint Start(int port = 0)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        return new WebhookEndpoint(listener);
    }

    /// <summary>The next POST received, within the usual timeout unless given one.</summary>
    public Task<WebhookPost> NextAsync(TimeSpan? timeout = null) => _posts.Reader.ReadAsync(_stop.Token).AsTask().WithTimeout(timeout);

    /// <summary>True when a POST is waiting to be taken by <see cref="NextAsync"/>.</summary>
    public bool TryTake(out WebhookPost? post) => _posts.Reader.TryRead(out post);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                Socket socket = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_sockets)
                    _sockets.Add(socket);
                _ = ServeAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var buffer = new List<byte>();
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int headEnd;
                while ((headEnd = IndexOf(buffer, "\r\n\r\n"u8)) < 0)
                {
                    int read = await socket.ReceiveAsync(chunk, SocketFlags.None, _stop.Token);
                    if (read == 0)
                        return;
                    buffer.AddRange(chunk.AsSpan(0, read));
                }

                string[] lines = Encoding.ASCII.GetString(buffer.GetRange(0, headEnd).ToArray()).Split("\r\n");
                var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
                int length = int.Parse(headers["content-length"]);
                buffer.RemoveRange(0, headEnd + 4);
                while (buffer.Count < length)
                {
                    int read = await socket.ReceiveAsync(chunk, SocketFlags.None, _stop.Token);
                    if (read == 0)
                        return;
                    buffer.AddRange(chunk.AsSpan(0, read));
                }

                byte[] body = buffer.GetRange(0, length).ToArray();
                buffer.RemoveRange(0, length);
                int n;
                lock (_sockets)
                    n = Received++;
                await _posts.Writer.WriteAsync(new WebhookPost(lines[0], headers, body, DateTime.UtcNow), _stop.Token);
                if (Answer(n) is not { } answer)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);   // hangs: never answers
                    return;
                }

                if (answer.Delay > TimeSpan.Zero)
                    await Task.Delay(answer.Delay, _stop.Token);
                byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 {answer.Status} X\r\nContent-Length: 2\r\n\r\nok");
                await socket.SendAsync(response, SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The relay closed the connection, or the endpoint stops.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> pattern)
    {
        for (int i = 0; i + pattern.Length <= bytes.Count; i++)
        {
            int j = 0;
            while (j < pattern.Length && bytes[i + j] == pattern[j])
                j++;
            if (j == pattern.Length)
                return i;
        }

        return -1;
    }

    /// <summary>Stops listening and drops every connection (a relay's POSTs then fail to connect).</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (Socket socket in _sockets)
                socket.Dispose();
        }

        await _accepting;
    }
}
