using System.CommandLine;
using System.CommandLine.Parsing;
using RawRelay.Diagnostics;

// The entry point is the composition root: it lives with Hosting, so the root namespace (the shared rules
// and exit codes everyone uses) depends on nothing.
namespace RawRelay.Hosting;

/// <summary>Command line -> <see cref="RelayOptions"/> -> <see cref="RelayHost.RunAsync"/>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        RuntimeTuning.Apply();
        var commandLine = new RelayCommandLine();
        ParseResult parsed = commandLine.Parse(args, Environment.GetEnvironmentVariables());
        if (parsed.Errors.Count > 0)
        {
            foreach (ParseError error in parsed.Errors)
                Console.Error.WriteLine($"rawrelay: {error.Message}");
            Console.Error.WriteLine("usage: rawrelay [options]   (rawrelay --help lists them)");
            return ExitCodes.Usage;
        }

        if (!commandLine.RunsRelay(parsed))    // --help, --version or `rawrelay bench`
            return await parsed.InvokeAsync().ConfigureAwait(false);

        if (commandLine.ToOptions(parsed, out string problem) is not { } options)
        {
            Console.Error.WriteLine($"rawrelay: {problem}");
            Console.Error.WriteLine("usage: rawrelay [options]   (rawrelay --help lists them)");
            return ExitCodes.Usage;
        }

        return await RunAsync(options).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(RelayOptions options)
    {
        var stdout = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 64 * 1024) { AutoFlush = false };
        using var log = new RelayLog(stdout, options.LogLevel, options.LogFormat);
        RelayHost host;
        try
        {
            host = RelayHost.Start(options, log);
        }
        catch (StartupException e)
        {
            Console.Error.WriteLine($"rawrelay: {e.Message}");
            return ExitCodes.CannotStart;
        }

        using var signals = new RelaySignals(log);
        using (host)
            await host.RunAsync(signals.Stopping).ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
