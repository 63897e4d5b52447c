using System.Globalization;

namespace RawRelay.Bench;

/// <summary>
/// One measured figure: a row of the table and a <c>key=value</c> of the machine-readable line; shown with
/// <paramref name="Decimals"/> places (0: as <see cref="BenchReport.Format"/> does).
/// </summary>
internal sealed record BenchFigure(string Scenario, double Value, string Unit, string Key, int Decimals = 0);

/// <summary>
/// Collects the figures and notes of one bench run and prints them: one table (scenario | figure | unit),
/// then the notes, then one <c>RESULT key=value ...</c> line for scripts. Not thread-safe.
/// </summary>
internal sealed class BenchReport
{
    private readonly List<BenchFigure> _figures = [];
    private readonly List<string> _notes = [];

    public IReadOnlyList<BenchFigure> Figures => _figures;

    public void Add(string scenario, double value, string unit, string key, int decimals = 0) =>
        _figures.Add(new BenchFigure(scenario, value, unit, key, decimals));

    /// <summary>p50, p99 and max of <paramref name="sorted"/> (nanoseconds) in µs, keys <c>&lt;key&gt;_p50_us</c> and so on.</summary>
    public void AddLatencies(string what, string at, string key, long[] sorted)
    {
        Add($"{what} p50 {at}", sorted[sorted.Length / 2] / 1e3, "µs", key + "_p50_us");
        Add($"{what} p99 {at}", sorted[(int)(sorted.Length * 0.99)] / 1e3, "µs", key + "_p99_us");
        Add($"{what} max {at}", sorted[^1] / 1e3, "µs", key + "_max_us");
    }

    public void Note(string note) => _notes.Add(note);

    public void Print(TextWriter output, string heading)
    {
        output.WriteLine(heading);
        output.WriteLine();
        output.WriteLine("| scenario | figure | unit |");
        output.WriteLine("|---|---:|---|");
        foreach (BenchFigure figure in _figures)
            output.WriteLine($"| {figure.Scenario} | {Format(figure.Value, figure.Decimals)} | {figure.Unit} |");
        if (_notes.Count > 0)
        {
            output.WriteLine();
            foreach (string note in _notes)
                output.WriteLine("- " + note);
        }

        output.WriteLine();
        output.WriteLine("RESULT " + string.Join(' ', _figures.Select(f => $"{f.Key}={f.Value.ToString("0.###", CultureInfo.InvariantCulture)}")));
    }

    /// <summary>Thousands separated below ten million, then millions with two decimals; or with <paramref name="decimals"/> places.</summary>
    public static string Format(double value, int decimals = 0)
    {
        if (decimals > 0)
            return value.ToString("#,0." + new string('0', decimals), CultureInfo.InvariantCulture);
        return value >= 1_000_000
            ? (value / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M"
            : value.ToString("#,0", CultureInfo.InvariantCulture);
    }
}
