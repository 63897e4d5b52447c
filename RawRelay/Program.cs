using System.CommandLine;
using System.CommandLine.Parsing;
using RawRelay.Diagnostics;
using RawRelay.Hosting;

namespace RawRelay;

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
            return RelayCommandLine.ExitUsage;
        }

        if (!commandLine.RunsRelay(parsed))    // --help, --version or `rawrelay bench`
            return await parsed.InvokeAsync().ConfigureAwait(false);

        if (commandLine.ToOptions(parsed, out string problem) is not { } options)
        {
            Console.Error.WriteLine($"rawrelay: {problem}");
            Console.Error.WriteLine("usage: rawrelay [options]   (rawrelay --help lists them)");
            return RelayCommandLine.ExitUsage;
        }

        return await RunAsync(options).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(RelayOptions options)
    {
        var stdout = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 64 * 1024) { AutoFlush = false };
        using var log = new RelayLog(stdout, options.LogLevel);
        RelayHost host;
        try
        {
            host = RelayHost.Start(options, log);
        }
        catch (StartupException e)
        {
            Console.Error.WriteLine($"rawrelay: {e.Message}");
            return RelayCommandLine.ExitCannotStart;
        }

        using var signals = new RelaySignals(log);
        using (host)
            await host.RunAsync(signals.Stopping).ConfigureAwait(false);
        return RelayCommandLine.ExitOk;
    }
}
