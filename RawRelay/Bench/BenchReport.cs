using System.Globalization;

namespace RawRelay.Bench;

/// <summary>One measured figure: a row of the table and a <c>key=value</c> of the machine-readable line.</summary>
internal sealed record BenchFigure(string Scenario, double Value, string Unit, string Key);

/// <summary>
/// Collects the figures and notes of one bench run and prints them: one table (scenario | figure | unit),
/// then the notes, then one <c>RESULT key=value ...</c> line for scripts. Not thread-safe.
/// </summary>
internal sealed class BenchReport
{
    private readonly List<BenchFigure> _figures = [];
    private readonly List<string> _notes = [];

    public IReadOnlyList<BenchFigure> Figures => _figures;

    public void Add(string scenario, double value, string unit, string key) =>
        _figures.Add(new BenchFigure(scenario, value, unit, key));

    public void Note(string note) => _notes.Add(note);

    public void Print(TextWriter output, string heading)
    {
        output.WriteLine(heading);
        output.WriteLine();
        output.WriteLine("| scenario | figure | unit |");
        output.WriteLine("|---|---:|---|");
        foreach (BenchFigure figure in _figures)
            output.WriteLine($"| {figure.Scenario} | {Format(figure.Value)} | {figure.Unit} |");
        if (_notes.Count > 0)
        {
            output.WriteLine();
            foreach (string note in _notes)
                output.WriteLine("- " + note);
        }

        output.WriteLine();
        output.WriteLine("RESULT " + string.Join(' ', _figures.Select(f => $"{f.Key}={f.Value.ToString("0.###", CultureInfo.InvariantCulture)}")));
    }

    /// <summary>Thousands separated below ten million, then millions with two decimals.</summary>
    public static string Format(double value) => value switch
    {
        >= 10_000_000 => (value / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M",
        >= 1_000_000 => (value / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M",
        _ => value.ToString("#,0", CultureInfo.InvariantCulture),
    };
}
