using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Browser;

/// <summary>
/// The unit tests of static/rawrelay.js (header lines, notices, positions and their dedupe, since=,
/// backoff, storage keys, the connection against a fake WebSocket) under Node's own test runner:
/// <c>node --test RawRelay.Tests/Browser/Script/</c>.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ClientScriptNodeTests
{
    [Test, CancelAfter(60_000)]
    public async Task The_client_scripts_unit_tests_pass_under_node(CancellationToken ct)
    {
        string node = TestEnvironment.RequireOnPath("node", "nodejs");
        string tests = Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay.Tests", "Browser", "Script");
        await using ChildProcess run = ChildProcess.Start([node], ["--test", "--test-reporter=tap", tests]);

        int exit = await run.WaitForExitAsync(ct).WithTimeout(TimeSpan.FromSeconds(50));

        exit.Should().Be(0, $"node --test said:\n{run.Output}");
        run.Stdout.Should().MatchRegex(@"# pass [1-9]\d*").And.Contain("# fail 0");
    }
}
