namespace RawRelay.Http;

/// <summary>A parsed HTTP/1.x request line and header fields. Immutable once built.</summary>
internal sealed class RequestHead
{
    private readonly List<KeyValuePair<string, string>> _headers = [];

    public RequestHead(string method, string target, string version)
    {
        Method = method;
        Target = target;
        Version = version;
        int question = target.IndexOf('?');
        Path = question < 0 ? target : target[..question];
        Query = question < 0 ? "" : target[(question + 1)..];
    }

    public string Method { get; }

    /// <summary>The request target as sent: path and query.</summary>
    public string Target { get; }

    public string Path { get; }

    /// <summary>The query string without its '?', still percent-encoded.</summary>
    public string Query { get; }

    /// <summary>"HTTP/1.1" or whatever else the client wrote.</summary>
    public string Version { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    internal void Add(string name, string value) => _headers.Add(new(name, value));

    /// <summary>The value of the first field with this name (case-insensitive), or null.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (KeyValuePair<string, string> header in _headers)
            {
                if (header.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
                    return header.Value;
            }

            return null;
        }
    }

    /// <summary>How many fields have this name (case-insensitive).</summary>
    public int Count(string name) => _headers.Count(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// True when a comma-separated field with this name lists <paramref name="token"/>
    /// (case-insensitive), in any of its occurrences.
    /// </summary>
    public bool HasToken(string name, string token)
    {
        foreach (KeyValuePair<string, string> header in _headers)
        {
            if (!header.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
                continue;
            foreach (Range part in header.Value.AsSpan().Split(','))
            {
                if (header.Value.AsSpan()[part].Trim(" \t").Equals(token, StringComparison.OrdinalIgnoreCase))
                    return true;
            }
        }

        return false;
    }
}
