using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// The repository's deployment files (RawRelay/deploy/) as the tests read them: the systemd unit's
/// settings and command line, its defaults file, the web server sites. Thread-safe (reads files only).
/// </summary>
internal static class DeployFiles
{
    public const string Unit = "rawrelay.service";
    public const string ApacheSite = "apache-rawrelay.conf";
    public const string NginxSite = "nginx-rawrelay.conf";
    public const string Defaults = "rawrelay.default";

    public static string DeployDirectory => Path.Combine(TestEnvironment.RepositoryRoot(), "RawRelay", "deploy");

    public static string Read(string name) => File.ReadAllText(Path.Combine(DeployDirectory, name));

    /// <summary>The value of a <c>Key=value</c> line of the unit, such as <c>Group</c> or <c>ExecStart</c>.</summary>
    public static string UnitSetting(string key)
    {
        string[] values = Read(Unit).Split('\n')
            .Where(line => line.StartsWith(key + "=", StringComparison.Ordinal))
            .Select(line => line[(key.Length + 1)..].Trim())
            .ToArray();
        if (values.Length != 1)
            throw new InvalidOperationException($"{Unit} has {values.Length} {key}= lines, expected one");
        return values[0];
    }

    /// <summary>The unit's ExecStart arguments after the executable (a plain list: no quotes, no continuations).</summary>
    public static List<string> UnitArguments() => UnitSetting("ExecStart").Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].ToList();

    /// <summary>The value after <paramref name="option"/> in the unit's ExecStart.</summary>
    public static string UnitOption(string option)
    {
        List<string> arguments = UnitArguments();
        int at = arguments.IndexOf(option);
        return at >= 0 && at + 1 < arguments.Count
            ? arguments[at + 1]
            : throw new InvalidOperationException($"{Unit}'s ExecStart has no {option} with a value");
    }

    /// <summary>
    /// The settings of rawrelay.default that it shows commented out (<c>#NAME=value</c>), by name, turned
    /// on: each of <paramref name="names"/> must be there once.
    /// </summary>
    public static Dictionary<string, string> CommentedDefaults(params string[] names)
    {
        var settings = new Dictionary<string, string>();
        foreach (string name in names)
        {
            string[] lines = Read(Defaults).Split('\n').Where(line => line.StartsWith($"#{name}=", StringComparison.Ordinal)).ToArray();
            lines.Should().ContainSingle($"{Defaults} shows how to set {name}");
            settings[name] = lines[0][(name.Length + 2)..].Trim();
        }

        return settings;
    }

    /// <summary>Replaces a production value of a deploy file with a test's; the value must be there.</summary>
    public static string Swap(string text, string production, string test)
    {
        text.Should().Contain(production, "the test replaces it with its own value");
        return text.Replace(production, test, StringComparison.Ordinal);
    }
}
