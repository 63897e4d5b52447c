using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Php;

/// <summary>
/// Each case of <c>client_test.php</c> (the PHP client <c>static/lib/RawRelay.php</c> against a relay) as
/// its own test, run by the real <c>php</c> against an in-process relay.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class PhpClientTests
{
    private static readonly string Script = Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay.Tests", "Php", "client_test.php");
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay()
    {
        TestEnvironment.RequireOnPath("php", "php-cli");
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
        if (TestEnvironment.FindOnPath("php") is null)
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

    private static Task<(int Exit, string Output, string Error)> RunPhpAsync(string[] arguments,
        Dictionary<string, string> environment, CancellationToken ct) =>
        PhpCli.RunAsync([Script, .. arguments], environment, Path.GetDirectoryName(Script), ct);
}
