using System.Buffers;
using System.Globalization;
using System.Text;

namespace RawRelay.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): for each family a <c># HELP</c> and a
/// <c># TYPE</c> line, then its samples, <c>name{label="value",...} value</c>. Label values are escaped as
/// the format says (backslash, double quote, LF). Not thread-safe: one per scrape.
/// </summary>
internal sealed class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly ArrayBufferWriter<byte> _output = new(16 * 1024);

    public ReadOnlySpan<byte> Written => _output.WrittenSpan;

    /// <summary>Starts a family: its help and type (counter or gauge).</summary>
    public PrometheusText Family(string name, string type, string help)
    {
        Append($"# HELP {name} {help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\n");
        Append($"# TYPE {name} {type}\n");
        return this;
    }

    /// <summary>A sample without labels.</summary>
    public PrometheusText Sample(string name, double value) => Sample(name, value, []);

    /// <summary>A sample with labels, given as name and value pairs.</summary>
    public PrometheusText Sample(string name, double value, params ReadOnlySpan<(string Name, string Value)> labels)
    {
        var line = new StringBuilder(name);
        if (labels.Length > 0)
        {
            line.Append('{');
            for (int i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                    line.Append(',');
                line.Append(labels[i].Name).Append("=\"").Append(Escape(labels[i].Value)).Append('"');
            }

            line.Append('}');
        }

        line.Append(' ').Append(Format(value)).Append('\n');
        Append(line.ToString());
        return this;
    }

    /// <summary>A family of one sample: the common case.</summary>
    public PrometheusText Counter(string name, string help, double value) => Family(name, "counter", help).Sample(name, value);

    public PrometheusText Gauge(string name, string help, double value) => Family(name, "gauge", help).Sample(name, value);

    /// <summary>A value as the format writes it: integers without a fraction, NaN and infinities by name.</summary>
    public static string Format(double value) => value switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when value == Math.Floor(value) && Math.Abs(value) < 1e15 => ((long)value).ToString(CultureInfo.InvariantCulture),
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private void Append(string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        Encoding.UTF8.GetBytes(text, _output.GetSpan(length));
        _output.Advance(length);
    }
}
