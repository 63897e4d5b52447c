using System.Text.RegularExpressions;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Architecture;

/// <summary>
/// Nothing in the relay blocks a thread waiting for another: its socket continuations run on the socket
/// engine's threads, and one blocked there stalls every socket of that engine (a large control batch once
/// waited there on a ManualResetEventSlim for the pool half of its flush). Only the log's own thread, and
/// the shutdown path's flush of the log, may wait.
/// </summary>
public sealed partial class NoBlockingWaitTests
{
    private static readonly string[] MayWait = ["Diagnostics/RelayLog.cs", "Bench/"];

    [Test]
    public void No_product_code_outside_the_log_blocks_on_a_wait()
    {
        string root = Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay");
        var found = new List<string>();
        foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal)
                || MayWait.Any(allowed => relative.StartsWith(allowed, StringComparison.Ordinal)))
                continue;
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (BlockingWait().IsMatch(lines[i]) && !lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal))
                    found.Add($"{relative}:{i + 1}: {lines[i].Trim()}");
            }
        }

        found.Should().BeEmpty("a blocking wait on a socket engine thread stalls all its sockets");
    }

    [GeneratedRegex(@"\.Wait\(|\.Result\b|GetAwaiter\(\)\.GetResult\(\)|ManualResetEvent|Thread\.Sleep\(|Monitor\.Wait\(")]
    private static partial Regex BlockingWait();
}
