namespace RawRelay.Http;

/// <summary>
/// Maps request paths to files of the static folder: "/" is index.html, other paths are files of the
/// folder with a known extension; directories, other extensions and anything that would leave the folder
/// are not found. Thread-safe (immutable).
/// </summary>
internal sealed class StaticFiles
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".json"] = "application/json",
        [".txt"] = "text/plain; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
    };

    private readonly string _root;

    public StaticFiles(string root)
    {
        _root = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
    }

    /// <summary>The file to serve for a request path (still percent-encoded), or null for 404.</summary>
    public (string Path, string ContentType)? Resolve(string requestPath)
    {
        string? decoded = QueryString.PercentDecode(requestPath);
        if (decoded is null || decoded.Contains('\0') || decoded.Contains('\\'))
            return null;
        if (decoded == "/")
            decoded = "/index.html";

        // Refuse any dot segment outright rather than normalising it away.
        foreach (string segment in decoded.Split('/'))
        {
            if (segment is "." or "..")
                return null;
        }

        if (!ContentTypes.TryGetValue(Path.GetExtension(decoded), out string? contentType))
            return null;
        string full = Path.GetFullPath(Path.Combine(_root, decoded.TrimStart('/')));
        if (!full.StartsWith(_root, StringComparison.Ordinal) || !File.Exists(full))
            return null;
        return (full, contentType);
    }
}
