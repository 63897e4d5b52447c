using RawRelay.Webhooks;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Php;

/// <summary>
/// The PHP package's PHPUnit suite (static/lib/tests/) against real relays in this process: one as
/// <c>make run</c> starts it (with <c>--history 10</c>, for position() and resume), one with <c>--secret</c>,
/// and two with <c>--webhook</c> to a port where the suite runs an endpoint of its own with <c>php -S</c>
/// (one with the endpoint's secret, one with another). The suite runs once, before the first case;
/// each PHPUnit test is a case here, failing with PHPUnit's own account of it.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class PhpUnitTests
{
    private const string Secret = "a-secret-for-the-phpunit-suite";
    private const string HookSecret = "a-webhook-secret-for-the-phpunit-suite";
    private const string NamespacePrefix = @"RawRelay\Tests\";
    private const int History = 10;

    private RelayFixture? _open;
    private RelayFixture? _secured;
    private RelayFixture? _hooked;
    private RelayFixture? _badlyHooked;
    private PhpUnitRun _run = null!;

    [OneTimeSetUp]
    public async Task RunTheSuite()
    {
        TestEnvironment.RequireOnPath("php", "php-cli");
        string phpunit = TestEnvironment.RequireOnPath("phpunit", "phpunit");
        _open = RelayFixture.Start(o => o with { History = History });
        _secured = RelayFixture.Start(o => o with { Secret = Secret });
        int hookPort = LoopbackPort.Free();
        _hooked = StartHookedRelay(hookPort, HookSecret);
        _badlyHooked = StartHookedRelay(hookPort, "not-the-endpoints-secret");
        var environment = new Dictionary<string, string>
        {
            ["RAWRELAY_HOST"] = "127.0.0.1",
            ["RAWRELAY_CONTROL"] = _open.ControlPath,
            ["RAWRELAY_PORT"] = _open.Port.ToString(),
            ["RAWRELAY_MAX_CHANNELS"] = _open.Options.MaxChannels.ToString(),
            ["RAWRELAY_MAX_MESSAGE"] = _open.Options.MaxMessage.ToString(),
            ["RAWRELAY_HISTORY"] = History.ToString(),
            ["RAWRELAY_SECRET_CONTROL"] = _secured.ControlPath,
            ["RAWRELAY_SECRET_PORT"] = _secured.Port.ToString(),
            ["RAWRELAY_SECRET"] = Secret,
            ["RAWRELAY_HOOK_CONTROL"] = _hooked.ControlPath,
            ["RAWRELAY_HOOK_PORT"] = _hooked.Port.ToString(),
            ["RAWRELAY_HOOK_LISTEN"] = hookPort.ToString(),
            ["RAWRELAY_HOOK_SECRET"] = HookSecret,
            ["RAWRELAY_BADHOOK_CONTROL"] = _badlyHooked.ControlPath,
            ["RAWRELAY_BADHOOK_PORT"] = _badlyHooked.Port.ToString(),
        };
        _run = await PhpUnitSuite.RunAsync(phpunit, environment, CancellationToken.None).WithTimeout(PhpCli.Timeout + TimeSpan.FromSeconds(5));
    }

    [OneTimeTearDown]
    public async Task StopTheRelays()
    {
        if (_open is not null)
            await _open.DisposeAsync();
        if (_secured is not null)
            await _secured.DisposeAsync();
        if (_hooked is not null)
            await _hooked.DisposeAsync();
        if (_badlyHooked is not null)
            await _badlyHooked.DisposeAsync();
    }

    /// <summary>
    /// A relay posting its events to <c>http://127.0.0.1:<paramref name="port"/>/hook</c>, retrying soon
    /// (nothing listens there before the suite's endpoint starts), with OFFLINE and VACATED 0.2 s after a
    /// departure, so the suite sees every kind of event quickly.
    /// </summary>
    private static RelayFixture StartHookedRelay(int port, string secret) =>
        RelayFixture.Start(o => o with
        {
            OfflineDelay = 0.2,
            Webhook = new WebhookOptions
            {
                Url = new Uri($"http://127.0.0.1:{port}/hook"), Secret = secret,
                FirstRetry = TimeSpan.FromMilliseconds(100), MaxRetry = TimeSpan.FromSeconds(1), DrainTimeout = TimeSpan.FromSeconds(1),
            },
        });

    /// <summary>The tests <c>phpunit --list-tests</c> names; one placeholder when phpunit is missing (the fixture is then ignored).</summary>
    public static IEnumerable<TestCaseData> PhpUnitTestNames()
    {
        string? phpunit = TestEnvironment.FindOnPath("phpunit");
        if (phpunit is null || TestEnvironment.FindOnPath("php") is null)
            return [new TestCaseData("(phpunit is not installed)").SetArgDisplayNames("phpunit-missing")];
        return PhpUnitSuite.ListAsync(phpunit, CancellationToken.None).GetAwaiter().GetResult() // a TestCaseSource cannot await
            .Select(name => new TestCaseData(name).SetArgDisplayNames(
                name.StartsWith(NamespacePrefix, StringComparison.Ordinal) ? name[NamespacePrefix.Length..] : name));
    }

    [TestCaseSource(nameof(PhpUnitTestNames))]
    public void PhpUnit_test_passes_against_the_real_relay(string name)
    {
        if (!_run.Outcomes.TryGetValue(name, out PhpUnitOutcome? outcome))
            Assert.Fail($"PHPUnit did not report {name} (exit {_run.Exit}); its report:\n{_run.Report}");
        if (outcome!.Result != PhpUnitResult.Passed)
            Assert.Fail($"PHPUnit: {name} {outcome.Result.ToString().ToLowerInvariant()}:\n{outcome.Detail}");
    }

    [Test]
    public void The_suite_as_a_whole_passes() =>
        _run.Exit.Should().Be(0, $"phpunit's report says:\n{_run.Report}");
}
