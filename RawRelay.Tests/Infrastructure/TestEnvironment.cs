namespace RawRelay.Tests.Infrastructure;

/// <summary>Where things are on this machine: programs on PATH and the repository's root.</summary>
internal static class TestEnvironment
{
    /// <summary>
    /// The full path of a program on PATH, or null when it is not installed. <paramref name="program"/> may
    /// be a pattern for a versioned name, such as <c>php-fpm*</c>: then the last match in name order of the
    /// first directory that has one.
    /// </summary>
    public static string? FindOnPath(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string? found = !program.Contains('*') ? Path.Combine(dir, program)
                : Directory.Exists(dir) ? Directory.GetFiles(dir, program).Order(StringComparer.Ordinal).LastOrDefault()
                : null;
            if (found is not null && File.Exists(found))
                return found;
        }

        return null;
    }

    /// <summary>
    /// The full path of a program on PATH; when it is missing the test is ignored, naming the Debian
    /// package that brings it (CI installs them all).
    /// </summary>
    public static string RequireOnPath(string program, string debianPackage)
    {
        string? found = FindOnPath(program);
        if (found is null)
            Assert.Ignore($"{program} is not installed (apt-get install {debianPackage}); CI installs it");
        return found!;
    }

    /// <summary>The demo site's folder, static/.</summary>
    public static string StaticFolder() => Path.Combine(RepositoryRoot(), "static");

    /// <summary>The folder holding RawRelay.sln, found upwards from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "RawRelay.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new DirectoryNotFoundException("RawRelay.sln not found above " + AppContext.BaseDirectory);
    }
}
