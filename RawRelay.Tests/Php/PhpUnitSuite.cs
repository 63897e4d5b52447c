using System.Xml.Linq;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Php;

/// <summary>
/// The PHPUnit suite of the PHP package (<c>static/lib/tests/</c>, configured by
/// <c>static/lib/phpunit.xml.dist</c>), run by <c>php</c> with Debian's <c>phpunit</c>. Thread-safe (static).
/// </summary>
internal static class PhpUnitSuite
{
    public static string PackageFolder => Path.Combine(TestEnvironment.StaticFolder(), "lib");

    private static string Configuration => Path.Combine(PackageFolder, "phpunit.xml.dist");

    /// <summary>The tests <c>phpunit --list-tests</c> names, as <c>Class::method</c>, in the suite's order.</summary>
    public static async Task<List<string>> ListAsync(string phpunit, CancellationToken ct)
    {
        (int exit, string output, string error) = await PhpCli.RunAsync(
            [phpunit, "--configuration", Configuration, "--colors=never", "--list-tests"], null, PackageFolder, ct);
        if (exit != 0)
            throw new InvalidOperationException($"phpunit --list-tests exited {exit}:\n{output}\n{error}");
        return output.Split('\n')
            .Select(line => line.TrimEnd())
            .Where(line => line.StartsWith(" - ", StringComparison.Ordinal))
            .Select(line => line[3..])
            .ToList();
    }

    /// <summary>Runs the whole suite with <paramref name="environment"/>; each test's outcome comes from its JUnit log.</summary>
    public static async Task<PhpUnitRun> RunAsync(string phpunit, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        string log = Path.Combine(Path.GetTempPath(), $"rr-phpunit-{Guid.NewGuid():N}.xml");
        try
        {
            (int exit, string output, string error) = await PhpCli.RunAsync(
                [phpunit, "--configuration", Configuration, "--colors=never", "--do-not-cache-result", "--log-junit", log],
                environment, PackageFolder, ct);
            string report = output + (error.Length > 0 ? "\nstandard error:\n" + error : "");
            return new PhpUnitRun(exit, report, File.Exists(log) ? Outcomes(XDocument.Load(log)) : []);
        }
        finally
        {
            File.Delete(log);
        }
    }

    /// <summary>Each <c>&lt;testcase&gt;</c> of a JUnit log by <c>Class::method</c>: passed, or what PHPUnit said.</summary>
    private static Dictionary<string, PhpUnitOutcome> Outcomes(XDocument junit)
    {
        var outcomes = new Dictionary<string, PhpUnitOutcome>(StringComparer.Ordinal);
        foreach (XElement testCase in junit.Descendants("testcase"))
        {
            string name = $"{(string?)testCase.Attribute("class")}::{(string?)testCase.Attribute("name")}";
            XElement? problem = testCase.Elements().FirstOrDefault(e => e.Name.LocalName is not ("system-out" or "system-err"));
            outcomes[name] = problem is null
                ? new PhpUnitOutcome(PhpUnitResult.Passed, "")
                : new PhpUnitOutcome(problem.Name.LocalName == "skipped" ? PhpUnitResult.Skipped : PhpUnitResult.Failed,
                    $"{problem.Name.LocalName} {(string?)problem.Attribute("type")}: {problem.Value.Trim()}");
        }

        return outcomes;
    }
}

internal enum PhpUnitResult
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>One PHPUnit test's result and, unless it passed, PHPUnit's account of it.</summary>
internal sealed record PhpUnitOutcome(PhpUnitResult Result, string Detail);

/// <summary>One run of the suite: phpunit's exit status and report, and the outcome of each test it logged.</summary>
internal sealed record PhpUnitRun(int Exit, string Report, IReadOnlyDictionary<string, PhpUnitOutcome> Outcomes);
