using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary>
/// <c>--ping-interval</c>: a client that has not answered a ping by the next one is dropped (one ping, then
/// the close 1001 in place of the second), whatever pongs of its own it sends; a live idle one stays.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class DeadPeerTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { PingInterval = 1 });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [Test, CancelAfter(30_000)]
    public async Task A_client_that_stops_answering_pings_is_dropped_while_a_live_idle_one_stays(CancellationToken ct)
    {
        await using RawWebSocketClient dead = await _relay.ConnectAsync("ping-dead", ct);
        await using RawWebSocketClient live = await _relay.ConnectAsync("ping-live", ct);
        var deadGone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var threePingsAfter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pings = new List<byte[]>();
        Task<string> liveLoop = AnswerPingsAsync(live, deadGone.Task, threePingsAfter, pings, ct);

        // The dead one reads (so that nothing but the missing pong can end it) and never answers: it gets
        // exactly one ping, and at the next ping tick the close 1001 instead of a second ping.
        WsFrame ping = await dead.ReceiveFrameAsync(ct).WithTimeout();
        ping.Opcode.Should().Be(WsFrame.Ping, "the first ping tick pings every client");
        await dead.ExpectClosedWithAsync(1001, ct);
        deadGone.SetResult();

        // The live one has answered three more rounds of pings since: it is still listed and reachable.
        await threePingsAfter.Task.WithTimeout(TimeSpan.FromSeconds(15));
        using ControlClient control = _relay.OpenControl();
        (List<string> list, _) = await control.CommandWithDataAsync("LIST WEBSOCKETS", ct);
        list.Select(line => line.Split(' ')[0]).Should().Contain("ping-live").And.NotContain("ping-dead");
        (await control.CommandAsync("SEND MESSAGE ping-live still here", ct)).Should().Be("OK 1");
        (await liveLoop.WithTimeout()).Should().Be("still here");
        pings.Should().OnlyContain(payload => payload.Length == 8, "a ping carries 8 random bytes").And
            .OnlyHaveUniqueItems(payload => Convert.ToHexString(payload), "each round has a fresh payload");
        await TaskTimeouts.Eventually(() => Task.FromResult(_relay.LogText.Contains("closed ping-dead 127.0.0.1:", StringComparison.Ordinal)));
        _relay.LogText.Should().MatchRegex(@"closed ping-dead \S+ reason=ping-timeout code=1001");
    }

    [Test, CancelAfter(30_000)]
    public async Task A_client_that_sends_pongs_of_its_own_but_never_echoes_the_ping_is_dropped_at_the_next_ping(CancellationToken ct)
    {
        // Only a pong that echoes the round's random payload counts (RFC 6455 §5.5.3). This client answers
        // the ping with pongs of its own: unsolicited ones (empty, "rawrelay", which is as long as a ping's
        // payload), and one with the ping's payload altered in one bit.
        await using RawWebSocketClient client = await _relay.ConnectAsync("ping-own-pongs", ct);
        await client.SendAsync([.. ClientFrames.Build(WsFrame.Pong, "rawrelay"u8), .. ClientFrames.Build(WsFrame.Pong, [])], ct);

        WsFrame ping = await client.ReceiveFrameAsync(ct).WithTimeout();
        ping.Opcode.Should().Be(WsFrame.Ping);
        ping.Payload.Should().HaveCount(8);
        byte[] altered = [.. ping.Payload];
        altered[^1] ^= 1;
        await client.SendAsync([.. ClientFrames.Build(WsFrame.Pong, []), .. ClientFrames.Build(WsFrame.Pong, "rawrelay"u8),
            .. ClientFrames.Build(WsFrame.Pong, altered), .. ClientFrames.Build(WsFrame.Pong, [.. ping.Payload, 0])], ct);

        await client.ExpectClosedWithAsync(1001, ct);
        await TaskTimeouts.Eventually(() => Task.FromResult(_relay.LogText.Contains("closed ping-own-pongs ", StringComparison.Ordinal)));
        _relay.LogText.Should().MatchRegex(@"closed ping-own-pongs \S+ reason=ping-timeout code=1001");
    }

    /// <summary>
    /// Answers every ping (keeping its payload); signals after three pings that came once the dead client was
    /// gone; returns the first text.
    /// </summary>
    private static async Task<string> AnswerPingsAsync(RawWebSocketClient client, Task deadGone, TaskCompletionSource threePingsAfter,
        List<byte[]> pings, CancellationToken ct)
    {
        int pingsAfter = 0;
        while (true)
        {
            WsFrame frame = await client.ReceiveFrameAsync(ct);
            if (frame.Opcode == WsFrame.Text)
                return frame.Text8;
            frame.Opcode.Should().Be(WsFrame.Ping);
            pings.Add(frame.Payload);
            await client.SendAsync(ClientFrames.Build(WsFrame.Pong, frame.Payload), ct);
            if (deadGone.IsCompleted && ++pingsAfter == 3)
                threePingsAfter.SetResult();
        }
    }
}
