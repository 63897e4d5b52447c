using System.Text;

namespace RawRelay.Tests.Infrastructure;

/// <summary>One line of WATCH: its word, its fields, and for MESSAGE the payload that followed it.</summary>
internal sealed record WatchEvent(string Kind, string[] Fields, byte[] Payload)
{
    public string Handle => Fields[0];

    public string Id => Kind == "OFFLINE" ? Fields[0] : Fields[1];

    public string Text => Encoding.UTF8.GetString(Payload);

    public override string ToString() => $"{Kind} {string.Join(' ', Fields)}" + (Kind == "MESSAGE" ? $" <{Payload.Length} bytes>" : "");
}

/// <summary>
/// A control connection turned into an event stream by WATCH, read byte for byte: each line split into its
/// word and fields, a MESSAGE line's payload read by its length (it may hold LFs), then the LF after it.
/// Not thread-safe.
/// </summary>
internal sealed class WatchClient : IDisposable
{
    private WatchClient(ControlClient control) => Control = control;

    public ControlClient Control { get; }

    public static async Task<WatchClient> StartAsync(string controlPath, CancellationToken ct)
    {
        var control = ControlClient.Connect(controlPath);
        (await control.CommandAsync("WATCH", ct)).Should().Be("OK watching");
        return new WatchClient(control);
    }

    /// <summary>The next event; null once the relay closed the connection.</summary>
    public async Task<WatchEvent?> NextAsync(CancellationToken ct = default)
    {
        string? line = await Control.ReadLineAsync(ct);
        if (line is null)
            return null;
        string[] words = line.Split(' ');
        if (words[0] != "MESSAGE")
            return new WatchEvent(words[0], words[1..], []);
        words.Should().HaveCount(5, $"MESSAGE <handle> <id> TEXT|BINARY <length>, not '{line}'");
        byte[] payload = await Control.ReadBytesAsync(int.Parse(words[4]), ct);
        (await Control.ReadBytesAsync(1, ct)).Should().Equal([(byte)'\n'], "a LF ends each payload");
        return new WatchEvent(words[0], words[1..], payload);
    }

    /// <summary>The next event, which must come within the usual timeout.</summary>
    public async Task<WatchEvent> ExpectAsync(CancellationToken ct = default) =>
        await NextAsync(ct).WithTimeout() ?? throw new EndOfStreamException("the relay closed the WATCH connection");

    /// <summary>Events up to and including the first of <paramref name="kind"/> that <paramref name="match"/> accepts.</summary>
    public async Task<List<WatchEvent>> UntilAsync(string kind, Func<WatchEvent, bool> match, CancellationToken ct = default)
    {
        var seen = new List<WatchEvent>();
        while (true)
        {
            WatchEvent next = await ExpectAsync(ct);
            seen.Add(next);
            if (next.Kind == kind && match(next))
                return seen;
        }
    }

    public void Dispose() => Control.Dispose();
}
