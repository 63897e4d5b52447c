using System.Net;
using System.Net.Sockets;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// The rawrelay executable as a process, the way systemd runs it: start, relay, LIST, SIGTERM, exit status.
/// In CI <c>RAWRELAY_BINARY</c> points at the Native AOT binary of <c>make publish</c>, so this is its
/// smoke test; without it the build's own rawrelay.dll runs.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class RelayExecutableTests
{
    [Test, CancelAfter(60_000)]
    public async Task Relays_a_message_lists_the_board_and_exits_0_on_SIGTERM(CancellationToken ct)
    {
        string controlPath = RelayFixture.TempSocketPath();
        await using RelayProcess relay = RelayProcess.Start(RelayProcess.LoopbackArguments(controlPath), null);
        int port = await relay.WaitUntilListeningAsync(ct);
        await using RawWebSocketClient board = await RawWebSocketClient.ConnectAsync(port, "smoke", ct);
        int boardPort = ((IPEndPoint)board.Socket.LocalEndPoint!).Port;
        using ControlClient control = ControlClient.Connect(controlPath);

        (await control.CommandAsync("SEND MESSAGE smoke {\"message\":\"hello\"}", ct)).Should().Be("OK 1");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("{\"message\":\"hello\"}");
        (List<string> listed, string status) = await control.CommandWithDataAsync("LIST WEBSOCKETS", ct);
        listed.Should().Equal($"smoke 127.0.0.1:{boardPort}");
        status.Should().Be("OK 1");

        relay.Terminate();

        (await relay.WaitForExitAsync(ct)).Should().Be(0, relay.Output);
        (await board.ReceiveCloseCodeAsync(ct).WithTimeout()).Should().Be(1001);
        File.Exists(controlPath).Should().BeFalse("a clean shutdown removes the control socket");
        relay.Stdout.Should().Contain("received SIGTERM").And.Contain("stopped");
    }

    [Test, CancelAfter(60_000)]
    public async Task Settings_come_from_RAWRELAY_environment_variables(CancellationToken ct)
    {
        string controlPath = RelayFixture.TempSocketPath();
        var environment = new Dictionary<string, string> { ["RAWRELAY_TRUST_PROXY"] = "1", ["RAWRELAY_PATH"] = "/ws" };
        await using RelayProcess relay = RelayProcess.Start(RelayProcess.LoopbackArguments(controlPath), environment);
        int port = await relay.WaitUntilListeningAsync(ct);

        await using RawWebSocketClient board = await RawWebSocketClient.ConnectAsync(port, "env", ct, "/ws",
            extraHeaders: "X-Forwarded-For: 203.0.113.7\r\n");
        using ControlClient control = ControlClient.Connect(controlPath);

        (List<string> lines, _) = await control.CommandWithDataAsync("LIST WEBSOCKETS", ct);
        lines.Should().Equal($"env 203.0.113.7:{((IPEndPoint)board.Socket.LocalEndPoint!).Port}");
    }

    [Test, CancelAfter(60_000)]
    public async Task Help_lists_every_option_and_exits_0(CancellationToken ct)
    {
        await using RelayProcess help = RelayProcess.Start("--help");

        (await help.WaitForExitAsync(ct)).Should().Be(0);
        help.Stdout.Should().Contain("--control-mode").And.Contain("--trust-proxy").And.Contain("--allowed-origin");
    }

    [TestCase("--port", "http", TestName = "A port that is not a number exits 2 with a usage message")]
    [TestCase("--control-mode", "999", TestName = "A control mode that is not octal exits 2 with a usage message")]
    [TestCase("--no-such-option", "1", TestName = "An unknown option exits 2 with a usage message")]
    [CancelAfter(60_000)]
    public async Task Bad_arguments(string option, string value, CancellationToken ct)
    {
        await using RelayProcess relay = RelayProcess.Start(option, value);

        (await relay.WaitForExitAsync(ct)).Should().Be(2);
        relay.Stderr.Should().Contain("usage: rawrelay");
    }

    [Test, CancelAfter(60_000)]
    public async Task A_port_in_use_exits_1_with_one_line_saying_so(CancellationToken ct)
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        List<string> arguments = RelayProcess.WithValue(RelayProcess.LoopbackArguments(RelayFixture.TempSocketPath()), "--port",
            ((IPEndPoint)taken.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using RelayProcess relay = RelayProcess.Start(arguments, null);

        (await relay.WaitForExitAsync(ct)).Should().Be(1);
        relay.Stderr.Should().StartWith("rawrelay: cannot listen on 127.0.0.1:").And.EndWith("\n")
            .And.Subject.Count(c => c == '\n').Should().Be(1);
    }
}
