using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Events;

/// <summary>
/// SPEC, What browsers say reaches PHP: WATCH turns a control connection into a stream of events, byte for
/// byte: OPEN with the handle, id and address, each client message with its exact payload (LFs, binary,
/// fragments, empty), CLOSE with the code of the first close frame sent or received (1006 without one);
/// DISCONNECT closes one connection by its handle; input after WATCH is ignored; any number of watchers.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed partial class WatchTests
{
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start();

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [GeneratedRegex("^[A-Za-z0-9.-]{1,64}$")]
    private static partial Regex HandleRule();

    [Test, CancelAfter(10_000)]
    public async Task Open_messages_and_close_of_a_connection_come_in_order_byte_for_byte(CancellationToken ct)
    {
        using WatchClient watch = await WatchClient.StartAsync(_relay.ControlPath, ct);
        string id = TestData.NewId("w");
        await using RawWebSocketClient client = await _relay.ConnectAsync(id, ct);
        var local = (IPEndPoint)client.Socket.LocalEndPoint!;

        WatchEvent open = await watch.ExpectAsync(ct);
        open.Kind.Should().Be("OPEN");
        open.Fields.Should().HaveCount(3);
        open.Handle.Should().MatchRegex(HandleRule());
        open.Id.Should().Be(id);
        open.Fields[2].Should().Be($"127.0.0.1:{local.Port}");

        byte[] binary = [0, 10, 255, 13, 10, 0x80];
        await client.SendAsync([
            .. ClientFrames.Text("hello"),
            .. ClientFrames.Text("two\nlines\n"),
            .. ClientFrames.Build(WsFrame.Binary, binary),
            .. ClientFrames.Text(""),
            .. ClientFrames.Build(WsFrame.Text, "frag"u8, fin: false),
            .. ClientFrames.Build(WsFrame.Ping, "p"u8),
            .. ClientFrames.Build(WsFrame.Continuation, "mented ✓"u8.ToArray(), fin: true),
        ], ct);

        await ExpectMessage(watch, open.Handle, id, "TEXT", "hello"u8.ToArray(), ct);
        await ExpectMessage(watch, open.Handle, id, "TEXT", "two\nlines\n"u8.ToArray(), ct);
        await ExpectMessage(watch, open.Handle, id, "BINARY", binary, ct);
        await ExpectMessage(watch, open.Handle, id, "TEXT", [], ct);
        await ExpectMessage(watch, open.Handle, id, "TEXT", Encoding.UTF8.GetBytes("fragmented ✓"), ct);

        await client.SendAsync(ClientFrames.Close(4001, "bye"), ct);
        (await client.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(4001);
        WatchEvent close = await watch.ExpectAsync(ct);
        close.ToString().Should().Be($"CLOSE {open.Handle} {id} 4001");
    }

    [Test, CancelAfter(10_000)]
    public async Task Close_carries_the_first_close_frame_or_1005_or_1006(CancellationToken ct)
    {
        using WatchClient watch = await WatchClient.StartAsync(_relay.ControlPath, ct);
        using ControlClient control = _relay.OpenControl();

        string byCommand = TestData.NewId("cmd");
        await using (RawWebSocketClient client = await _relay.ConnectAsync(byCommand, ct))
        {
            (await control.CommandAsync($"CLOSE {byCommand} 4002 done", ct)).Should().Be("OK 1");
            (await client.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(4002);
            await client.SendAsync(ClientFrames.Close(1000), ct);       // the client answers with another code
            (await ExpectClose(watch, byCommand, ct)).Should().Be(4002, "ours was first");
        }

        string empty = TestData.NewId("empty");
        await using (RawWebSocketClient client = await _relay.ConnectAsync(empty, ct))
        {
            await client.SendAsync(ClientFrames.Build(WsFrame.Close, []), ct);
            (await client.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1000);
            (await ExpectClose(watch, empty, ct)).Should().Be(1005, "the client's close frame held no code");
        }

        string vanished = TestData.NewId("gone");
        RawWebSocketClient abrupt = await _relay.ConnectAsync(vanished, ct);
        await abrupt.DisposeAsync();
        (await ExpectClose(watch, vanished, ct)).Should().Be(1006, "no close frame was sent or received");
    }

    [Test, CancelAfter(10_000)]
    public async Task Disconnect_closes_the_one_connection_with_the_handle(CancellationToken ct)
    {
        using WatchClient watch = await WatchClient.StartAsync(_relay.ControlPath, ct);
        using ControlClient control = _relay.OpenControl();
        string id = TestData.NewId("tabs");
        await using RawWebSocketClient first = await _relay.ConnectAsync(id, ct);
        string firstHandle = (await watch.UntilAsync("OPEN", e => e.Id == id, ct))[^1].Handle;
        await using RawWebSocketClient second = await _relay.ConnectAsync(id, ct);
        string secondHandle = (await watch.UntilAsync("OPEN", e => e.Id == id, ct))[^1].Handle;
        secondHandle.Should().NotBe(firstHandle);

        (await control.CommandAsync($"DISCONNECT {firstHandle} 4003 one tab", ct)).Should().Be("OK 1");
        WsFrame closeFrame = await first.ReceiveFrameAsync(ct).WithTimeout();
        closeFrame.CloseCode.Should().Be(4003);
        (await ExpectClose(watch, id, ct)).Should().Be(4003);
        await TaskTimeouts.Eventually(async () => await control.CommandAsync($"SEND MESSAGE {id} still", ct) == "OK 1");
        (await second.ReceiveTextAsync(ct).WithTimeout()).Should().Be("still", "the other tab stays");

        (await control.CommandAsync($"DISCONNECT {firstHandle}", ct)).Should().Be("OK 0", "it is gone");
        (await control.CommandAsync($"DISCONNECT {firstHandle}x", ct)).Should().Be("OK 0", "no such handle");
        (await control.CommandAsync("DISCONNECT not.ours", ct)).Should().Be("OK 0");
        (await control.CommandAsync("DISCONNECT bad/handle", ct)).Should().StartWith("ERR usage: DISCONNECT <handle>");
        (await control.CommandAsync($"DISCONNECT {new string('a', 65)}", ct)).Should().StartWith("ERR usage: DISCONNECT");
        (await control.CommandAsync($"DISCONNECT {secondHandle} 1005", ct)).Should().Be("ERR invalid close code");
        (await control.CommandAsync($"DISCONNECT {secondHandle}", ct)).Should().Be("OK 1");
        (await second.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1000);
    }

    [Test, CancelAfter(10_000)]
    public async Task Input_after_watch_is_ignored_and_every_watcher_gets_every_event(CancellationToken ct)
    {
        using WatchClient one = await WatchClient.StartAsync(_relay.ControlPath, ct);
        using WatchClient two = await WatchClient.StartAsync(_relay.ControlPath, ct);
        string id = TestData.NewId("both");
        await using RawWebSocketClient client = await _relay.ConnectAsync(id, ct);

        await one.Control.WriteAsync($"SEND MESSAGE {id} not-a-command\nQUIT\nSTATS\n", ct);
        await client.SendTextAsync("after", ct);
        foreach (WatchClient watch in new[] { one, two })
        {
            List<WatchEvent> events = await watch.UntilAsync("MESSAGE", e => e.Id == id, ct);
            events.Select(e => e.Kind).Should().NotContain(k => k.StartsWith("OK") || k.StartsWith("ERR") || k.StartsWith("connections"),
                "nothing after WATCH is read as a command");
            events[^1].Text.Should().Be("after");
        }

        using ControlClient control = _relay.OpenControl();
        (await control.CommandAsync($"SEND MESSAGE {id} marker", ct)).Should().Be("OK 1");
        (await client.ReceiveTextAsync(ct).WithTimeout()).Should().Be("marker", "the SEND written after WATCH never ran");
        await client.SendTextAsync("still watching", ct);
        (await one.UntilAsync("MESSAGE", e => e.Id == id, ct))[^1].Text.Should().Be("still watching", "nor did the QUIT");
    }

    [Test, CancelAfter(10_000)]
    public async Task Watch_with_arguments_is_a_usage_error_and_the_connection_stays_a_control_connection(CancellationToken ct)
    {
        using ControlClient control = _relay.OpenControl();
        (await control.CommandAsync("WATCH everything", ct)).Should().Be("ERR usage: WATCH");
        (await control.CommandAsync("HELP", ct)).Should().Be("OK");
        (await control.CommandAsync("watch", ct)).Should().Be("OK watching", "names are case-insensitive");
    }

    private static async Task ExpectMessage(WatchClient watch, string handle, string id, string type, byte[] payload, CancellationToken ct)
    {
        WatchEvent message = await watch.ExpectAsync(ct);
        message.Kind.Should().Be("MESSAGE");
        message.Fields[..4].Should().Equal(handle, id, type, payload.Length.ToString());
        message.Payload.Should().Equal(payload);
    }

    private static async Task<int> ExpectClose(WatchClient watch, string id, CancellationToken ct)
    {
        WatchEvent close = (await watch.UntilAsync("CLOSE", e => e.Id == id, ct))[^1];
        return int.Parse(close.Fields[2]);
    }
}
