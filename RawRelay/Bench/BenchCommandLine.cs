using System.CommandLine;
using System.CommandLine.Parsing;

namespace RawRelay.Bench;

/// <summary>
/// The <c>bench</c> subcommand (System.CommandLine): its options, their checks, and the action that runs
/// <see cref="BenchRunner"/>. Environment variables do not apply to it. Not thread-safe; used once at start.
/// </summary>
internal sealed class BenchCommandLine
{
    private readonly Option<int?> _targetPort = new("--target-port") { Description = "measure the relay already listening on this port (default: the bench starts one)" };
    private readonly Option<string?> _targetControl = new("--target-control") { Description = "control socket of that relay (with --target-port)" };
    private readonly Option<int?> _relayPid = new("--relay-pid") { Description = "PID of that relay, to read its memory from /proc" };
    private readonly Option<int> _clients = new("--clients") { Description = "WebSocket clients per scenario (bounded by the open-file limit)", DefaultValueFactory = _ => 10_000 };
    private readonly Option<int> _sources = new("--sources") { Description = "client source addresses 127.0.0.2 and up", DefaultValueFactory = _ => 8 };
    private readonly Option<int> _inFlight = new("--in-flight") { Description = "handshakes in flight at once", DefaultValueFactory = _ => 256 };
    private readonly Option<string> _scenarios = new("--scenarios") { Description = "comma-separated: connect, broadcast, send, latency, channels, storm", DefaultValueFactory = _ => "connect,broadcast,send,latency,channels,storm" };
    private readonly Option<int> _messages = new("--messages") { Description = "pipelined BROADCAST MESSAGE commands", DefaultValueFactory = _ => 100 };
    private readonly Option<int> _sendCommands = new("--send-commands") { Description = "pipelined SEND MESSAGE commands", DefaultValueFactory = _ => 100_000 };
    private readonly Option<int> _payloadBytes = new("--payload-bytes") { Description = "bytes per message (at least 20)", DefaultValueFactory = _ => 64 };
    private readonly Option<int> _rate = new("--rate") { Description = "SEND MESSAGE commands per second in the latency scenario", DefaultValueFactory = _ => 2000 };
    private readonly Option<int> _latencyMessages = new("--latency-messages") { Description = "SEND MESSAGE commands in the latency scenario", DefaultValueFactory = _ => 10_000 };
    private readonly Option<int> _channels = new("--channels") { Description = "channels of the channels and storm scenarios (client i on channel i mod this)", DefaultValueFactory = _ => 100 };
    private readonly Option<int> _publishes = new("--publishes") { Description = "pipelined PUBLISH MESSAGE commands per channel in the channels scenario", DefaultValueFactory = _ => 100 };
    private readonly Option<int> _publishRate = new("--publish-rate") { Description = "PUBLISH MESSAGE commands per second in the channels scenario's latency phase", DefaultValueFactory = _ => 1000 };
    private readonly Option<int> _latencyPublishes = new("--latency-publishes") { Description = "PUBLISH MESSAGE commands in the channels scenario's latency phase", DefaultValueFactory = _ => 5000 };
    private readonly Option<int> _stormMessages = new("--storm-messages") { Description = "messages per channel in each storm phase (live, missed); the relay the bench starts gets --history of this", DefaultValueFactory = _ => 100 };
    private readonly Option<double> _timeout = new("--timeout") { Description = "seconds any one phase may take", DefaultValueFactory = _ => 120 };

    public BenchCommandLine()
    {
        Command = new Command("bench", "Measure a relay: idle memory, handshakes, broadcast, SEND throughput and latency, channels, the reconnect storm, as one table.")
        {
            _targetPort, _targetControl, _relayPid, _clients, _sources, _inFlight, _scenarios, _messages,
            _sendCommands, _payloadBytes, _rate, _latencyMessages, _channels, _publishes, _publishRate,
            _latencyPublishes, _stormMessages, _timeout,
        };
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    /// <summary>The options, or an error message for values that parse but make no sense.</summary>
    public BenchOptions? ToOptions(ParseResult parsed, out string error)
    {
        error = "";
        int? port = parsed.GetValue(_targetPort);
        string? control = parsed.GetValue(_targetControl);
        if ((port is null) != (control is null))
            error = "--target-port and --target-control go together";
        else if (port is < 1 or > 65535)
            error = "--target-port must be 1-65535";
        else if (parsed.GetValue(_clients) < 1)
            error = "--clients must be at least 1";
        else if (parsed.GetValue(_sources) is < 1 or > 250)
            error = "--sources must be 1-250";
        else if (parsed.GetValue(_inFlight) < 1 || parsed.GetValue(_messages) < 1 || parsed.GetValue(_sendCommands) < 1
                 || parsed.GetValue(_rate) < 1 || parsed.GetValue(_latencyMessages) < 1 || parsed.GetValue(_timeout) <= 0)
            error = "--in-flight, --messages, --send-commands, --rate, --latency-messages and --timeout must be positive";
        else if (parsed.GetValue(_channels) is < 1 or > 100_000 || parsed.GetValue(_publishes) < 1 || parsed.GetValue(_publishRate) < 1
                 || parsed.GetValue(_latencyPublishes) < 1 || parsed.GetValue(_stormMessages) < 1)
            error = "--channels (at most 100000), --publishes, --publish-rate, --latency-publishes and --storm-messages must be positive";
        else if (parsed.GetValue(_payloadBytes) is < LatencyStamp.Length or > 100_000)
            error = $"--payload-bytes must be {LatencyStamp.Length}-100000";
        else if (ParseScenarios(parsed.GetValue(_scenarios)!) is not { } scenarios)
            error = "--scenarios: a comma-separated list of connect, broadcast, send, latency, channels, storm";
        else
        {
            return new BenchOptions
            {
                TargetPort = port,
                TargetControl = control,
                RelayPid = parsed.GetValue(_relayPid),
                Clients = parsed.GetValue(_clients),
                Sources = parsed.GetValue(_sources),
                InFlight = parsed.GetValue(_inFlight),
                Scenarios = scenarios,
                Messages = parsed.GetValue(_messages),
                SendCommands = parsed.GetValue(_sendCommands),
                PayloadBytes = parsed.GetValue(_payloadBytes),
                Rate = parsed.GetValue(_rate),
                LatencyMessages = parsed.GetValue(_latencyMessages),
                Channels = parsed.GetValue(_channels),
                Publishes = parsed.GetValue(_publishes),
                PublishRate = parsed.GetValue(_publishRate),
                LatencyPublishes = parsed.GetValue(_latencyPublishes),
                StormMessages = parsed.GetValue(_stormMessages),
                Timeout = parsed.GetValue(_timeout),
            };
        }

        return null;
    }

    /// <summary>The scenario names of <c>--scenarios</c>; null when one is unknown.</summary>
    public static BenchScenarios? ParseScenarios(string list)
    {
        BenchScenarios scenarios = BenchScenarios.None;
        foreach (string name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BenchScenarios? one = name.ToLowerInvariant() switch
            {
                "connect" or "memory" or "handshakes" => BenchScenarios.Connect,
                "broadcast" or "fanout" => BenchScenarios.Fanout,
                "send" => BenchScenarios.Send,
                "latency" => BenchScenarios.Latency,
                "channels" or "chanfanout" or "publish" => BenchScenarios.Channels,
                "storm" or "resume" => BenchScenarios.Storm,
                "all" => BenchScenarios.All,
                _ => null,
            };
            if (one is null)
                return null;
            scenarios |= one.Value;
        }

        return scenarios == BenchScenarios.None ? null : scenarios;
    }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken ct)
    {
        if (ToOptions(parsed, out string error) is not { } options)
        {
            Console.Error.WriteLine($"rawrelay bench: {error}");
            return ExitCodes.Usage;
        }

        return await BenchRunner.RunAsync(options, Console.Out, ct).ConfigureAwait(false);
    }
}
