using Microsoft.Win32.SafeHandles;
using RawRelay.Transport;

namespace RawRelay.Http;

/// <summary>
/// Maps request paths to regular files of the static folder: "/" is index.html, other paths are files of
/// the folder with a known extension; directories, other extensions, anything that is not a regular file
/// (a FIFO, a device, a socket) and anything whose real path, symbolic links resolved, lies outside the
/// folder are not found. Thread-safe (immutable).
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
    private readonly string _realRoot;

    /// <summary>Serves <paramref name="root"/>, an existing folder; a <see cref="StartupException"/> when its real path cannot be found.</summary>
    public StaticFiles(string root)
    {
        _root = WithSeparator(Path.GetFullPath(root));
        _realRoot = WithSeparator(UnixFiles.RealPath(root)
            ?? throw new StartupException($"static folder {root} cannot be resolved"));
    }

    /// <summary>
    /// The file a request path (still percent-encoded) names, as far as the path alone tells: its full
    /// path inside the folder and its Content-Type, or null for 404. Nothing is looked up on disk.
    /// </summary>
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
        if (!full.StartsWith(_root, StringComparison.Ordinal))
            return null;
        return (full, contentType);
    }

    /// <summary>
    /// Opens the file for a request path, or null for 404. Symbolic links are followed only while they stay
    /// inside the folder, and only to a name with a served extension (a link named <c>x.txt</c> never serves
    /// <c>send.php</c>). The open never blocks and the file must be a regular one, checked on the open
    /// descriptor itself.
    /// </summary>
    public StaticFile? Open(string requestPath)
    {
        if (Resolve(requestPath) is not { } file)
            return null;
        string? real = UnixFiles.RealPath(file.Path);
        if (real is null || !real.StartsWith(_realRoot, StringComparison.Ordinal)
            || !ContentTypes.ContainsKey(Path.GetExtension(real)))
            return null;

        // The real path has no link left in it; O_NOFOLLOW refuses one that appears at its end after realpath.
        SafeFileHandle? handle = UnixFiles.OpenRegularFile(real, out long length);
        return handle is null ? null : new StaticFile(handle, length, file.ContentType);
    }

    private static string WithSeparator(string path) =>
        path.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
}

/// <summary>A regular file of the static folder, open for reading, with its size when it was opened. Not thread-safe.</summary>
internal sealed class StaticFile(SafeFileHandle handle, long length, string contentType) : IDisposable
{
    public SafeFileHandle Handle { get; } = handle;

    public long Length { get; } = length;

    public string ContentType { get; } = contentType;

    public void Dispose() => Handle.Dispose();
}
