using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Pusher;

/// <summary>
/// The npm packages the Pusher tests run (the independent clients: <c>pusher-js</c>, <c>laravel-echo</c>, the
/// server SDK <c>pusher</c>), installed outside the repository in <c>RAWRELAY_NPM_DIR</c> (default
/// /opt/rawrelay-npm; .ci/run installs them there), and node to run them.
/// </summary>
internal static class NpmPackages
{
    public const string InstallLine = "mkdir -p /opt/rawrelay-npm && npm install --prefix /opt/rawrelay-npm pusher-js@8 laravel-echo@2 pusher@5";

    private static readonly string[] Packages = ["pusher-js", "laravel-echo", "pusher"];

    /// <summary>The folder holding node_modules/ with the three packages; the test is ignored when it is missing.</summary>
    public static string Require()
    {
        string dir = Environment.GetEnvironmentVariable("RAWRELAY_NPM_DIR") is { Length: > 0 } set ? set : "/opt/rawrelay-npm";
        string? missing = Array.Find(Packages, p => !File.Exists(Path.Combine(dir, "node_modules", p, "package.json")));
        if (missing is not null)
            Assert.Ignore($"npm package {missing} is not in {dir}/node_modules (install: {InstallLine}, or set RAWRELAY_NPM_DIR); CI installs it");
        return dir;
    }

    /// <summary>Runs one of RawRelay.Tests/Pusher/node/ with node, the packages on NODE_PATH; returns its output once it has exited 0.</summary>
    public static async Task<string[]> RunAsync(string script, IEnumerable<string> arguments, CancellationToken ct)
    {
        string node = TestEnvironment.RequireOnPath("node", "nodejs");
        string dir = Require();
        string path = Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay.Tests", "Pusher", "node", script);
        await using ChildProcess process = ChildProcess.Start([node, path], arguments,
            new Dictionary<string, string> { ["NODE_PATH"] = Path.Combine(dir, "node_modules") });
        int status = await process.WaitForExitAsync(ct);
        status.Should().Be(0, $"{script} failed:\n{process.Output}");
        return process.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
