using System.Diagnostics;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Php;

/// <summary>
/// Each case of <c>client_test.php</c> (the PHP client <c>static/lib/RawRelay.php</c> against a relay) as
/// its own test, run by the real <c>php</c> against an in-process relay.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class PhpClientTests
{
    private static readonly string Script = Path.Combine(SourceTree.Root, "RawRelay.Tests", "Php", "client_test.php");
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay()
    {
        ExternalTool.Require("php", "php-cli");
        _relay = RelayFixture.Start();
    }

    [OneTimeTearDown]
    public async Task StopRelay()
    {
        if (_relay is not null)
            await _relay.DisposeAsync();
    }

    /// <summary>The names printed by <c>php client_test.php --list</c>; none when php is missing (then the fixture is ignored).</summary>
    public static IEnumerable<TestCaseData> Cases()
    {
        if (ExternalTool.Find("php") is null)
        {
            yield return new TestCaseData("(php is not installed)").SetArgDisplayNames("php-missing");
            yield break;
        }

        (int exit, string output, string error) = RunPhpAsync(["--list"], new Dictionary<string, string>(), CancellationToken.None)
            .GetAwaiter().GetResult(); // a TestCaseSource cannot await
        if (exit != 0)
            throw new InvalidOperationException($"php client_test.php --list exited {exit}: {error}");
        foreach (string name in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            yield return new TestCaseData(name).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Cases)), CancelAfter(90_000)]
    public async Task Php_client_case_passes_against_the_real_relay(string name, CancellationToken ct)
    {
        var environment = new Dictionary<string, string>
        {
            ["RAWRELAY_CONTROL"] = _relay.ControlPath,
            ["RAWRELAY_PORT"] = _relay.Port.ToString(),
            ["RAWRELAY_HOST"] = "127.0.0.1",
        };

        (int exit, string output, string error) = await RunPhpAsync([name], environment, ct);

        output.Trim().Should().Be($"PASS {name}", $"php wrote to stderr: {error}");
        exit.Should().Be(0);
    }

    /// <summary>Runs client_test.php; the script's own alarm ends a case after 60 s, the timeout here after 75.</summary>
    private static async Task<(int Exit, string Output, string Error)> RunPhpAsync(string[] arguments,
        Dictionary<string, string> environment, CancellationToken ct)
    {
        var info = new ProcessStartInfo("php")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Script)!,
        };
        info.ArgumentList.Add(Script);
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment.Remove("RAWRELAY_SECRET");
        foreach ((string key, string value) in environment)
            info.Environment[key] = value;

        using Process php = Process.Start(info)!;
        Task<string> output = php.StandardOutput.ReadToEndAsync();
        Task<string> error = php.StandardError.ReadToEndAsync();
        try
        {
            await php.WaitForExitAsync(ct).WithTimeout(TimeSpan.FromSeconds(75));
        }
        finally
        {
            if (!php.HasExited)
                php.Kill();
        }

        return (php.ExitCode, await output.WithTimeout(), await error.WithTimeout());
    }
}
