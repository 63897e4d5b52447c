using System.Net.Sockets;
using System.Text;
using RawRelay.Diagnostics;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// <c>--handshake-timeout</c> against clients that send their request head a byte at a time ("slowloris"):
/// each is answered 408 and closed once its time is up, and a thousand of them do not keep a real client out.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class SlowRequestTests
{
    private const int SlowClients = 1000;

    /// <summary>The slow clients' pace: far slower than a request head needs, so only the timeout can end it.</summary>
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(250);

    private static readonly byte[] Head = Encoding.ASCII.GetBytes(
        "GET /websocket?id=slowloris HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");

    [Test, CancelAfter(30_000)]
    public async Task A_request_head_sent_a_byte_at_a_time_is_answered_408_after_the_handshake_timeout(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { HandshakeTimeout = 1 });
        await using RawWebSocketClient slow = await RawWebSocketClient.OpenAsync(relay.Port, ct);

        Task<HttpReply> reply = slow.ReadHttpResponseAsync(ct);
        int sent = await TrickleAsync([slow], [reply], ct);

        HttpReply refused = await reply.WithTimeout();
        refused.Status.Should().Be(408);
        sent.Should().BeLessThan(Head.Length, "the relay gave up before the head was complete");
        using ControlClient control = relay.OpenControl();
        (await control.CommandAsync("LIST WEBSOCKETS", ct)).Should().Be("OK 0");
    }

    [Test, CancelAfter(90_000)]
    public async Task A_thousand_slow_request_heads_do_not_keep_a_real_client_from_connecting(CancellationToken ct)
    {
        // Long enough that every slow client is still waiting for its answer when the real one connects.
        await using RelayFixture relay = RelayFixture.Start(o => o with { HandshakeTimeout = 10, LogLevel = RawRelay.Diagnostics.LogLevel.Info });
        RawWebSocketClient[] slow = [];
        try
        {
            slow = await ClientSwarm.OpenAsync(SlowClients,
                (i, token) => RawWebSocketClient.OpenAsync(relay.Port, token, ClientSwarm.Source(i)), ct);
            Task<HttpReply>[] replies = slow.Select(client => client.ReadHttpResponseAsync(ct)).ToArray();
            using var stopTrickle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task<int> trickle = TrickleAsync(slow, replies, stopTrickle.Token);

            await using (RawWebSocketClient real = await relay.ConnectAsync("real-client", ct).WithTimeout())
            {
                replies.Count(r => r.IsCompleted).Should().Be(0, "the slow clients were all still waiting while the real one got in");
                using ControlClient control = relay.OpenControl();
                (await control.CommandAsync("SEND MESSAGE real-client welcome", ct)).Should().Be("OK 1");
                (await real.ReceiveTextAsync(ct).WithTimeout()).Should().Be("welcome");
            }

            HttpReply[] answers = await Task.WhenAll(replies).WithTimeout(TimeSpan.FromSeconds(60));
            answers.Select(a => a.Status).Should().AllBeEquivalentTo(408);
            await trickle.WithTimeout();
        }
        finally
        {
            await ClientSwarm.DisposeAllAsync(slow);
        }
    }

    /// <summary>
    /// Sends the next byte of <see cref="Head"/> on every client whose reply has not come, once per
    /// <see cref="Pace"/>, until every reply has come; returns how many bytes each got at most.
    /// </summary>
    private static async Task<int> TrickleAsync(RawWebSocketClient[] clients, Task<HttpReply>[] replies, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Pace);
        int sent = 0;
        while (sent < Head.Length && !replies.All(r => r.IsCompleted))
        {
            for (int i = 0; i < clients.Length; i++)
            {
                if (replies[i].IsCompleted)
                    continue;
                try
                {
                    clients[i].Socket.Send(Head, sent, 1, SocketFlags.None);
                }
                catch (SocketException)
                {
                    // The relay closed this one between its reply and our look at it.
                }
            }

            sent++;
            await timer.WaitForNextTickAsync(ct);
        }

        return sent;
    }
}
