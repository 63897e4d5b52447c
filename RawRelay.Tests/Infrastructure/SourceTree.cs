namespace RawRelay.Tests.Infrastructure;

/// <summary>The repository's folders (static/, the PHP tests), found upwards from the test output folder.</summary>
internal static class SourceTree
{
    public static string Root { get; } = FindRoot();

    public static string Static => Path.Combine(Root, "static");

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RawRelay.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("RawRelay.sln not found above " + AppContext.BaseDirectory);
    }
}
