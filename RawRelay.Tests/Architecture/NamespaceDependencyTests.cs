using System.Text;
using System.Text.RegularExpressions;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Architecture;

/// <summary>
/// Dependencies between the product's namespaces point inward (STYLE.md, "Layout"), and the parsers know
/// nothing of sockets. Read from the sources under RawRelay/: a file depends on the namespaces it names in
/// <c>using RawRelay.X;</c> lines, in fully qualified <c>RawRelay.X.</c> references, in references relative
/// to the root (<c>WebSockets.Utf8Validator</c>, which a file in a RawRelay namespace may write), and on the
/// root namespace when it uses one of the root's types by name. Comments and string literals are left out.
/// </summary>
[TestFixture]
public sealed partial class NamespaceDependencyTests
{
    private const string Root = "RawRelay";

    /// <summary>What each namespace may use, besides itself (the root's types are for everyone).</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Hosting"] = ["*"],
        ["Bench"] = ["*"],
        ["Pusher"] = ["Http", "Webhooks", "WebSockets", "Hub", "Transport", "Diagnostics", Root],
        ["Http"] = ["WebSockets", "Hub", "Transport", "Diagnostics", Root],
        ["Metrics"] = ["Cluster", "Control", "Pusher", "Http", "Webhooks", "WebSockets", "Hub", "Transport", "Diagnostics", Root],
        ["Cluster"] = ["Control", "Hub", "WebSockets", "Diagnostics", Root],
        ["Control"] = ["Hub", "Transport", "WebSockets", "Webhooks", "Diagnostics", Root],
        ["Webhooks"] = ["Hub", "Diagnostics", Root],
        ["WebSockets"] = ["Hub", "Transport", "Diagnostics", Root],
        ["Hub"] = ["Diagnostics", Root],
        ["Transport"] = ["Diagnostics", Root],
        ["Diagnostics"] = [Root],
        [Root] = [],
    };

    /// <summary>
    /// Dependencies the product has today against the rules (each makes a cycle), so that
    /// <see cref="Dependencies_point_inward_but_for_the_known_exceptions"/> guards everything else while
    /// <see cref="The_namespaces_have_no_cycle"/> reports them. Remove an entry once the product is fixed
    /// (the guard fails on an entry that no longer holds).
    /// </summary>
    private static readonly (string From, string To, string File, string Why)[] KnownExceptions = [];

    private static readonly string[] ParserFiles = ["FrameDecoder.cs", "Utf8Validator.cs", "LineSplitter.cs"];

    [Test]
    public void The_namespaces_have_no_cycle()
    {
        List<string> cycles = Cycles(Graph(Dependencies()));
        cycles.Should().BeEmpty("dependencies point inward, so they cannot go round:\n" + string.Join("\n", cycles));
    }

    [Test]
    public void Dependencies_point_inward_but_for_the_known_exceptions()
    {
        List<Dependency> all = Dependencies();
        all.Should().Contain(d => d.From == "Control" && d.To == "Hub", "the scan finds the dependencies there are");
        var stale = KnownExceptions.Where(k => !all.Any(d => IsKnown(d, k))).Select(k => $"{k.From} -> {k.To} in {k.File}").ToList();
        stale.Should().BeEmpty("a known exception that no longer holds is to be removed from the list");

        List<Dependency> rest = all.Where(d => !KnownExceptions.Any(k => IsKnown(d, k))).ToList();
        var outward = rest.Where(d => !IsAllowed(d.From, d.To)).Select(d => d.ToString()).ToList();
        outward.Should().BeEmpty("each namespace uses only those further in (STYLE.md, \"Layout\")");
        List<string> cycles = Cycles(Graph(rest));
        cycles.Should().BeEmpty("dependencies point inward, so they cannot go round:\n" + string.Join("\n", cycles));
    }

    [Test]
    public void The_parsers_know_nothing_of_sockets()
    {
        var parsers = SourceFiles().Where(f => f.Name.EndsWith("Parser.cs", StringComparison.Ordinal) || ParserFiles.Contains(f.Name)).ToList();
        parsers.Select(f => f.Name).Should().Contain(["ControlCommandParser.cs", "FrameParser.cs", "RequestHeadParser.cs", .. ParserFiles]);
        var offenders = parsers.Where(f => SocketUse().IsMatch(Code(File.ReadAllText(f.FullName)))).Select(f => f.Name).ToList();
        offenders.Should().BeEmpty("parsers take bytes and give answers (STYLE.md, \"The codec\")");
    }

    [Test]
    public void The_scan_sees_each_kind_of_reference_and_ignores_comments_and_strings()
    {
        const string source = """
            using RawRelay.Hub;
            using static RawRelay.Transport.LineSplitter;
            namespace RawRelay.Control;
            // using RawRelay.Hosting;  a comment
            internal sealed class X
            {
                private readonly string _s = "RawRelay.Bench.Y and Hosting.Z";
                /* RawRelay.Http.Q */
                public bool Check(ReadOnlySpan<byte> b) => WebSockets.Utf8Validator.IsValid(b) && ConnectionIds.IsValid(b);
                public void Log(RawRelay.Diagnostics.RelayLog log) => log.Info($"{_s}");
                public int Hub => 1;
                public int Other => this.Hosting + options.Bench;
            }
            """;
        FileDependencies("Control/X.cs", source, ["ConnectionIds"]).Select(d => d.To).Order(StringComparer.Ordinal)
            .Should().Equal(["Diagnostics", "Hub", Root, "Transport", "WebSockets"]);
    }

    /// <summary>One namespace using another, with where it does.</summary>
    private sealed record Dependency(string From, string To, string File, string Evidence)
    {
        public override string ToString() => $"{From} -> {To} ({File}: {Evidence})";
    }

    private static bool IsKnown(Dependency d, (string From, string To, string File, string Why) known) =>
        d.From == known.From && d.To == known.To && d.File == known.File;

    private static bool IsAllowed(string from, string to) =>
        from == to || Allowed.TryGetValue(from, out string[]? allowed) && (allowed.Contains("*") || allowed.Contains(to));

    private static List<FileInfo> SourceFiles()
    {
        string product = Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay");
        return new DirectoryInfo(product).EnumerateFiles("*.cs", SearchOption.AllDirectories)
            .Where(f => !f.FullName.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.FullName.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .OrderBy(f => f.FullName, StringComparer.Ordinal)
            .ToList();
    }

    private static List<Dependency> Dependencies()
    {
        string product = Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay");
        var files = SourceFiles().Select(f => (Relative: Path.GetRelativePath(product, f.FullName).Replace('\\', '/'), Text: File.ReadAllText(f.FullName))).ToList();
        files.Should().HaveCountGreaterThan(50, "the product's sources are found");
        // The root namespace's types, which every RawRelay namespace sees without a using.
        var rootTypes = files.Where(f => Namespace(Code(f.Text)) == Root)
            .SelectMany(f => TypeDeclaration().Matches(Code(f.Text)).Select(m => m.Groups[1].Value))
            .Where(name => name != "Program")
            .ToList();
        rootTypes.Should().Contain("ConnectionIds");
        return files.SelectMany(f => FileDependencies(f.Relative, f.Text, rootTypes)).ToList();
    }

    /// <summary>The namespaces one file uses (by their part after RawRelay.; the root is "RawRelay").</summary>
    private static IEnumerable<Dependency> FileDependencies(string file, string text, IReadOnlyList<string> rootTypes)
    {
        string code = Code(text);
        if (Namespace(code) is not { } ns)
            yield break;                                        // assembly attributes only
        string from = Component(ns);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in UsingLine().Matches(code))
        {
            if (seen.Add(Component(m.Groups[1].Value)))
                yield return new Dependency(from, Component(m.Groups[1].Value), file, m.Value.Trim());
        }

        foreach (Match m in QualifiedReference().Matches(code))
        {
            string to = Allowed.ContainsKey(m.Groups[1].Value) ? m.Groups[1].Value : Root;   // RawRelay.ConnectionIds.IsValid
            if (seen.Add(to))
                yield return new Dependency(from, to, file, m.Value.Trim());
        }

        string[] components = [.. Allowed.Keys.Where(k => k != Root)];
        foreach (Match m in RelativeReference().Matches(code))
        {
            string to = m.Groups[1].Value;
            if (components.Contains(to) && seen.Add(to))
                yield return new Dependency(from, to, file, m.Value.Trim());
        }

        if (from != Root && rootTypes.FirstOrDefault(t => Regex.IsMatch(code, $@"(?<![\w.]){t}\b")) is { } rootType && seen.Add(Root))
            yield return new Dependency(from, Root, file, rootType);
    }

    /// <summary>"RawRelay.WebSockets.X" -> "WebSockets"; "RawRelay" -> "RawRelay".</summary>
    private static string Component(string ns)
    {
        string[] parts = ns.Split('.');
        return parts.Length > 1 ? parts[1] : Root;
    }

    private static string? Namespace(string code) => NamespaceLine().Match(code) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The nodes and edges of the namespace graph.</summary>
    private static Dictionary<string, List<Dependency>> Graph(IEnumerable<Dependency> dependencies) =>
        dependencies.Where(d => d.From != d.To).GroupBy(d => d.From).ToDictionary(g => g.Key, g => g.ToList());

    /// <summary>
    /// The cycles of the graph, named: for each set of namespaces that depend on each other, the shortest
    /// cycle through each dependency of theirs that points outward (or that the other side returns), with
    /// the references that make it.
    /// </summary>
    private static List<string> Cycles(Dictionary<string, List<Dependency>> graph)
    {
        var cycles = new List<string>();
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (Dependency edge in graph.Values.SelectMany(e => e).DistinctBy(e => (e.From, e.To))
            .OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal))
        {
            bool returned = graph.GetValueOrDefault(edge.To, []).Any(d => d.To == edge.From);
            if ((IsAllowed(edge.From, edge.To) && !returned) || ShortestPath(graph, edge.To, edge.From) is not { } back)
                continue;
            List<Dependency> cycle = [edge, .. back];
            string name = string.Join(" -> ", cycle.Select(d => d.From).Append(edge.From));
            if (named.Add(string.Join(" ", cycle.Select(d => d.From).Order(StringComparer.Ordinal))))
                cycles.Add($"cycle {name}: {string.Join("; ", cycle)}");
        }

        return cycles;
    }

    /// <summary>A shortest chain of dependencies from one namespace to another (breadth first), or null.</summary>
    private static List<Dependency>? ShortestPath(Dictionary<string, List<Dependency>> graph, string from, string to)
    {
        var previous = new Dictionary<string, Dependency>();
        var queue = new Queue<string>([from]);
        while (queue.Count > 0)
        {
            string node = queue.Dequeue();
            if (node == to)
            {
                var path = new List<Dependency>();
                for (string at = to; at != from; at = previous[at].From)
                    path.Insert(0, previous[at]);
                return path;
            }

            foreach (Dependency d in graph.GetValueOrDefault(node, []).DistinctBy(d => d.To))
            {
                if (d.To != from && previous.TryAdd(d.To, d))
                    queue.Enqueue(d.To);
            }
        }

        return null;
    }

    /// <summary>The source without comments, string and character literals (replaced by spaces).</summary>
    private static string Code(string text)
    {
        var code = new StringBuilder(text.Length);
        int i = 0;
        while (i < text.Length)
        {
            if (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                    i++;
            }
            else if (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                int end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + 2;
                code.Append(' ');
            }
            else if (text[i] == '"' && text.AsSpan(i).StartsWith("\"\"\""))
            {
                int quotes = 0;
                while (i + quotes < text.Length && text[i + quotes] == '"')
                    quotes++;
                int end = text.IndexOf(new string('"', quotes), i + quotes, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + quotes;
                code.Append("\"\"");
            }
            else if (text[i] == '"')
            {
                bool verbatim = i > 0 && (text[i - 1] == '@' || (text[i - 1] == '$' && i > 1 && text[i - 2] == '@'));
                i++;
                while (i < text.Length && text[i] != '"' || (verbatim && i + 1 < text.Length && text[i] == '"' && text[i + 1] == '"'))
                {
                    if (verbatim && text[i] == '"')
                        i++;                                    // "" inside a verbatim string
                    else if (!verbatim && text[i] == '\\')
                        i++;
                    i++;
                }

                i++;
                code.Append("\"\"");
            }
            else if (text[i] == '\'' && i + 2 < text.Length && (text[i + 2] == '\'' || text[i + 1] == '\\'))
            {
                int end = text.IndexOf('\'', text[i + 1] == '\\' ? i + 3 : i + 2);     // '\'' and '\\' hold a quote or backslash
                i = end < 0 ? text.Length : end + 1;
                code.Append("' '");
            }
            else
            {
                code.Append(text[i++]);
            }
        }

        return code.ToString();
    }

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(RawRelay(?:\.\w+)*)\s*;", RegexOptions.Multiline)]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"(?<![\w.])RawRelay\.([A-Z]\w*)\.")]
    private static partial Regex QualifiedReference();

    [GeneratedRegex(@"(?<![\w.])([A-Z]\w*)\.[A-Z]\w*")]
    private static partial Regex RelativeReference();

    [GeneratedRegex(@"\b(?:class|struct|record|interface|enum)\s+(\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\bSystem\.Net\.Sockets\b|\busing\s+System\.Net\.Sockets\s*;")]
    private static partial Regex SocketUse();
}
