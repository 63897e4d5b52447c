using System.Net.Sockets;
using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// A burst of PHP requests connecting to the control socket at once: a non-blocking connect(2) to a UNIX
/// socket whose backlog is full fails at once with EAGAIN, which PHP reports as an error, so the backlog is
/// the system's maximum (net.core.somaxconn).
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ConnectBurstTests
{
    private const int Burst = 1000;

    [Test, CancelAfter(60_000)]
    public async Task A_thousand_non_blocking_connects_to_the_control_socket_at_once_all_get_in_and_answered(CancellationToken ct)
    {
        int somaxconn = int.Parse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim());
        if (somaxconn < Burst)
            Assert.Ignore($"net.core.somaxconn is {somaxconn} here: no backlog holds a burst of {Burst} (Linux 5.4 and later default to 4096)");
        await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync([], ct);
        var sockets = new List<Socket>(Burst);
        try
        {
            var refused = new List<SocketError>();
            var endPoint = new UnixDomainSocketEndPoint(relay.ControlPath);
            for (int i = 0; i < Burst; i++)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
                sockets.Add(socket);
                try
                {
                    socket.Connect(endPoint);
                }
                catch (SocketException e)
                {
                    refused.Add(e.SocketErrorCode);
                }
            }

            refused.Should().BeEmpty($"all {Burst} connects fit in the backlog, but {refused.Count} failed");
            string[] replies = await Task.WhenAll(sockets.Select(s => ExchangeAsync(s, ct))).WithTimeout(TimeSpan.FromSeconds(30));
            replies.Should().AllSatisfy(r => r.Should().Contain("\nconnections ").And.EndWith("\nOK\nOK bye\n"));
        }
        finally
        {
            foreach (Socket socket in sockets)
                socket.Dispose();
        }
    }

    /// <summary>STATS, then QUIT; everything the relay answers up to the end of the stream.</summary>
    private static async Task<string> ExchangeAsync(Socket socket, CancellationToken ct)
    {
        await socket.SendAsync("STATS\nQUIT\n"u8.ToArray(), SocketFlags.None, ct);
        var reply = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
            reply.Write(buffer, 0, read);
        return "\n" + Encoding.UTF8.GetString(reply.ToArray());
    }
}
