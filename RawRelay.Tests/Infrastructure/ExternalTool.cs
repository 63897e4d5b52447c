namespace RawRelay.Tests.Infrastructure;

/// <summary>Finds a program on PATH; tests that need one that is missing are ignored with the package to install.</summary>
internal static class ExternalTool
{
    /// <summary>The full path of <paramref name="name"/>, or Assert.Ignore naming the Debian package that brings it.</summary>
    public static string Require(string name, string debianPackage)
    {
        string? found = Find(name);
        if (found is null)
            Assert.Ignore($"{name} is not installed (apt-get install {debianPackage}); CI installs it");
        return found!;
    }

    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
