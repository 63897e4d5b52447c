using System.Text.Json;
using RawRelay.Diagnostics;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>
/// SPEC, Seeing it run: with <c>--log-format json</c> every line the relay writes is one JSON object with
/// <c>time</c>, <c>level</c>, <c>msg</c> and the event's fields: a connection's open and closed lines carry its
/// <c>id</c> and <c>peer</c>, the closed line its <c>reason</c> and close <c>code</c>.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class JsonLogTests
{
    [Test, CancelAfter(20_000)]
    public async Task Every_line_parses_and_a_connection_says_its_id_peer_reason_and_code(CancellationToken ct)
    {
        string id = TestData.NewId("json");
        RelayFixture relay = RelayFixture.Start(o => o with { LogFormat = LogFormat.Json, PingInterval = 0 });
        await using (relay)
        {
            await using (RawWebSocketClient client = await relay.ConnectAsync(id, ct))
            {
                await client.SendAsync(ClientFrames.Close(4001, "bye \"now\"\n"), ct);
                (await client.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(4001);
            }

            (await relay.Control.CommandAsync("NONSENSE", ct)).Should().StartWith("ERR");
        }   // stopped: every connection has closed and logged it, and the log is flushed

        List<JsonElement> lines = relay.LogText.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        lines.Should().HaveCountGreaterThan(3);
        foreach (JsonElement line in lines)
        {
            line.EnumerateObject().Take(3).Select(p => p.Name).Should().Equal("time", "level", "msg");
            line.GetProperty("time").GetString().Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");
            line.GetProperty("level").GetString().Should().BeOneOf("debug", "info", "warn");
        }

        JsonElement open = lines.Single(l => l.GetProperty("msg").GetString()!.StartsWith($"open {id}", StringComparison.Ordinal));
        open.GetProperty("id").GetString().Should().Be(id);
        open.GetProperty("peer").GetString().Should().StartWith("127.0.0.1:");
        JsonElement closed = lines.Single(l => l.GetProperty("msg").GetString()!.StartsWith($"closed {id}", StringComparison.Ordinal));
        closed.GetProperty("id").GetString().Should().Be(id);
        closed.GetProperty("peer").GetString().Should().Be(open.GetProperty("peer").GetString());
        closed.GetProperty("reason").GetString().Should().Be("peer-closed");
        closed.GetProperty("code").GetInt32().Should().Be(4001);
        closed.GetProperty("seconds").GetDouble().Should().BeGreaterThanOrEqualTo(0);
        lines.Should().Contain(l => l.GetProperty("msg").GetString() == "stopped");
    }
}
