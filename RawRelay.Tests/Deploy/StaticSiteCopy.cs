using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// static/ copied to a new directory all may read, as the install step copies it to /var/www/rawrelay.
/// Dispose removes it.
/// </summary>
internal sealed class StaticSiteCopy : IDisposable
{
    private StaticSiteCopy(string root) => Root = root;

    public string Root { get; }

    public static StaticSiteCopy Create()
    {
        const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode searchable = readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        var copy = new StaticSiteCopy(ServerProcess.CreateFolder("rr-www-"));
        foreach (string file in Directory.EnumerateFiles(TestEnvironment.StaticFolder(), "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy.Root, Path.GetRelativePath(TestEnvironment.StaticFolder(), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!, searchable);
            File.Copy(file, target);
            File.SetUnixFileMode(target, readable);
        }

        return copy;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
