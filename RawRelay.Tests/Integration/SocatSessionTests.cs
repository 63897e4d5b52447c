using System.Diagnostics;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>A control session typed through a real <c>socat UNIX-CONNECT:&lt;path&gt; STDIO</c>, as a person would.</summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class SocatSessionTests
{
    private string _socat = "";
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay()
    {
        _socat = TestEnvironment.RequireOnPath("socat", "socat");
        _relay = RelayFixture.Start();
    }

    [OneTimeTearDown]
    public async Task StopRelay()
    {
        if (_relay is not null)
            await _relay.DisposeAsync();
    }

    [Test, CancelAfter(30_000)]
    public async Task A_person_lists_the_boards_and_sends_one_a_message(CancellationToken ct)
    {
        await using RawWebSocketClient board = await _relay.ConnectAsync("QVZS7CQWAE", ct);
        string boardAddress = $"127.0.0.1:{((System.Net.IPEndPoint)board.Socket.LocalEndPoint!).Port}";
        using Process socat = StartSocat();

        await socat.StandardInput.WriteLineAsync("LIST WEBSOCKETS".AsMemory(), ct);
        (await ReadLineAsync(socat, ct)).Should().Be($"QVZS7CQWAE {boardAddress}");
        (await ReadLineAsync(socat, ct)).Should().Be("OK 1");

        await socat.StandardInput.WriteLineAsync("SEND MESSAGE QVZS7CQWAE {\"message\":\"test\"}".AsMemory(), ct);
        (await ReadLineAsync(socat, ct)).Should().Be("OK 1");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("{\"message\":\"test\"}");

        await socat.StandardInput.WriteLineAsync("send mesage QVZS7CQWAE typo".AsMemory(), ct);
        (await ReadLineAsync(socat, ct)).Should().StartWith("ERR usage: SEND MESSAGE <id> <message>");

        await socat.StandardInput.WriteLineAsync("quit".AsMemory(), ct);
        (await ReadLineAsync(socat, ct)).Should().Be("OK bye");
        await socat.WaitForExitAsync(ct).WithTimeout();
        socat.ExitCode.Should().Be(0);
    }

    [Test, CancelAfter(30_000)]
    public async Task Commands_piped_into_socat_all_run_before_it_exits(CancellationToken ct)
    {
        await using RawWebSocketClient board = await _relay.ConnectAsync("piped", ct);
        using Process socat = StartSocat();

        // As `printf 'SEND MESSAGE piped one\nSEND MESSAGE piped two' | socat ...`: stdin ends at once.
        await socat.StandardInput.WriteAsync("SEND MESSAGE piped one\nSEND MESSAGE piped two".AsMemory(), ct);
        socat.StandardInput.Close();

        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("one");
        (await board.ReceiveTextAsync(ct).WithTimeout()).Should().Be("two", "a last line without LF runs too");
        await socat.WaitForExitAsync(ct).WithTimeout();
    }

    private Process StartSocat()
    {
        var info = new ProcessStartInfo(_socat)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add($"UNIX-CONNECT:{_relay.ControlPath}");
        info.ArgumentList.Add("STDIO");
        Process socat = Process.Start(info)!;
        socat.StandardInput.AutoFlush = true;
        return socat;
    }

    private static async Task<string?> ReadLineAsync(Process socat, CancellationToken ct) =>
        await socat.StandardOutput.ReadLineAsync(ct).WithTimeout();
}
