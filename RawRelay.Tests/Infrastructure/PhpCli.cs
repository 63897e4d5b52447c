using System.Diagnostics;

namespace RawRelay.Tests.Infrastructure;

/// <summary>Runs the <c>php</c> command line to its end and returns what it said. Thread-safe.</summary>
internal static class PhpCli
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(75);

    /// <summary>
    /// Runs <c>php</c> with the arguments (RAWRELAY_SECRET removed from its environment, then
    /// <paramref name="environment"/> added); kills it if it has not finished within <see cref="Timeout"/>.
    /// </summary>
    public static async Task<(int Exit, string Output, string Error)> RunAsync(IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, CancellationToken ct = default)
    {
        var info = new ProcessStartInfo("php")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment.Remove("RAWRELAY_SECRET");
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;

        using Process php = Process.Start(info)!;
        Task<string> output = php.StandardOutput.ReadToEndAsync(ct);
        Task<string> error = php.StandardError.ReadToEndAsync(ct);
        try
        {
            await php.WaitForExitAsync(ct).WithTimeout(Timeout);
        }
        finally
        {
            if (!php.HasExited)
                php.Kill();
        }

        return (php.ExitCode, await output.WithTimeout(), await error.WithTimeout());
    }
}
