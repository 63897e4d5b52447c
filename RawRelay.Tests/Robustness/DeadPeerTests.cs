using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Robustness;

/// <summary><c>--ping-interval</c>: a client that stops answering pings is dropped, a live idle one stays.</summary>
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
        Task<string> liveLoop = AnswerPingsAsync(live, deadGone.Task, threePingsAfter, ct);

        // The dead one reads (so that nothing but the missing pong can end it) and never answers.
        int pingsSeen = 0;
        WsFrame frame;
        while ((frame = await dead.ReceiveFrameAsync(ct).WithTimeout()).Opcode == WsFrame.Ping)
            pingsSeen++;
        frame.Opcode.Should().Be(WsFrame.Close);
        frame.CloseCode.Should().Be(1001);
        pingsSeen.Should().BeGreaterThanOrEqualTo(1, "it is dropped when the ping before the last goes unanswered");
        (await dead.ReceiveEndOfStreamAsync(ct).WithTimeout()).Should().BeTrue();
        deadGone.SetResult();

        // The live one has answered three more rounds of pings since: it is still listed and reachable.
        await threePingsAfter.Task.WithTimeout(TimeSpan.FromSeconds(15));
        using ControlClient control = _relay.OpenControl();
        (List<string> list, _) = await control.CommandWithDataAsync("LIST WEBSOCKETS", ct);
        list.Select(line => line.Split(' ')[0]).Should().Contain("ping-live").And.NotContain("ping-dead");
        (await control.CommandAsync("SEND MESSAGE ping-live still here", ct)).Should().Be("OK 1");
        (await liveLoop.WithTimeout()).Should().Be("still here");
        await TaskTimeouts.Eventually(() => Task.FromResult(_relay.LogText.Contains("closed ping-dead 127.0.0.1:", StringComparison.Ordinal)));
        _relay.LogText.Should().MatchRegex(@"closed ping-dead \S+ reason=ping-timeout code=1001");
    }

    /// <summary>Answers every ping; signals after three pings that came once the dead client was gone; returns the first text.</summary>
    private static async Task<string> AnswerPingsAsync(RawWebSocketClient client, Task deadGone, TaskCompletionSource threePingsAfter,
        CancellationToken ct)
    {
        int pingsAfter = 0;
        while (true)
        {
            WsFrame frame = await client.ReceiveFrameAsync(ct);
            if (frame.Opcode == WsFrame.Text)
                return frame.Text8;
            frame.Opcode.Should().Be(WsFrame.Ping);
            await client.SendAsync(ClientFrames.Build(WsFrame.Pong, frame.Payload), ct);
            if (deadGone.IsCompleted && ++pingsAfter == 3)
                threePingsAfter.SetResult();
        }
    }
}
