using System.Globalization;
using System.Text.RegularExpressions;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// A scrape of <c>GET /metrics</c> read back by the tests' own reading of the Prometheus text format (not the
/// relay's writer): samples by their name and labels as written (<c>rawrelay_messages_total{direction="in"}</c>),
/// and the type each family declares. Immutable.
/// </summary>
internal sealed partial class Exposition
{
    private Exposition(string text, Dictionary<string, double> samples, Dictionary<string, string> types)
    {
        Text = text;
        Samples = samples;
        Types = types;
    }

    public string Text { get; }

    public IReadOnlyDictionary<string, double> Samples { get; }

    /// <summary>Each family's <c># TYPE</c>.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    /// <summary>A sample's value, by its name and labels in the order the relay writes them.</summary>
    public double this[string sample] => Samples.TryGetValue(sample, out double value)
        ? value
        : throw new KeyNotFoundException($"no sample {sample} in:\n{Text}");

    /// <summary>The label names every sample uses.</summary>
    public IEnumerable<string> LabelNames() =>
        Samples.Keys.SelectMany(key => LabelName().Matches(key).Select(m => m.Groups[1].Value)).Distinct();

    public static Exposition Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] words = line.Split(' ');
                types[words[2]] = words[3];
                continue;
            }

            if (line.StartsWith('#'))
                continue;
            Match sample = SampleLine().Match(line);
            if (!sample.Success)
                throw new FormatException($"not a sample line: {line}");
            samples.Add(sample.Groups[1].Value, double.Parse(sample.Groups[2].Value, CultureInfo.InvariantCulture));
        }

        return new Exposition(text, samples, types);
    }

    /// <summary>Scrapes <c>GET /metrics</c> on 127.0.0.1:<paramref name="port"/>; the reply must be 200 in the text format.</summary>
    public static async Task<Exposition> ScrapeAsync(int port, CancellationToken ct)
    {
        HttpReply reply = await HttpReply.ExchangeAsync(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", ct);
        reply.Status.Should().Be(200, reply.Head);
        reply.Header("Content-Type").Should().Be("text/plain; version=0.0.4; charset=utf-8");
        return Parse(reply.BodyText);
    }

    /// <summary>Scrapes until <paramref name="done"/> holds, within <see cref="TaskTimeouts.Eventually"/>'s timeout.</summary>
    public static async Task<Exposition> WaitAsync(int port, Func<Exposition, bool> done, CancellationToken ct)
    {
        Exposition? scrape = null;
        await TaskTimeouts.Eventually(async () => done(scrape = await ScrapeAsync(port, ct)));
        return scrape!;
    }

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"[{,]([a-zA-Z_][a-zA-Z0-9_]*)=""")]
    private static partial Regex LabelName();
}
