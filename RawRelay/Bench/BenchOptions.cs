namespace RawRelay.Bench;

/// <summary>The scenarios <c>rawrelay bench</c> can run, in the order it runs them.</summary>
[Flags]
internal enum BenchScenarios
{
    None = 0,
    Connect = 1,
    Fanout = 2,
    Send = 4,
    Latency = 8,
    Channels = 16,
    Storm = 32,
    All = Connect | Fanout | Send | Latency | Channels | Storm,
}

/// <summary>
/// What <c>rawrelay bench</c> measures and against which relay. The defaults are those of the shared
/// harness (<c>wsload</c>), so figures are comparable. Immutable.
/// </summary>
internal sealed record BenchOptions
{
    /// <summary>TCP port of a running relay; null: the bench starts a relay of its own.</summary>
    public int? TargetPort { get; init; }

    /// <summary>Control socket of the running relay (with <see cref="TargetPort"/>).</summary>
    public string? TargetControl { get; init; }

    /// <summary>PID of the running relay, for its memory; unknown when null.</summary>
    public int? RelayPid { get; init; }

    public int Clients { get; init; } = 10_000;

    /// <summary>Client source addresses 127.0.0.2 and up, so ephemeral ports do not run out.</summary>
    public int Sources { get; init; } = 8;

    /// <summary>Handshakes in flight at once.</summary>
    public int InFlight { get; init; } = 256;

    public BenchScenarios Scenarios { get; init; } = BenchScenarios.All;

    /// <summary>Pipelined BROADCAST MESSAGE commands of the fan-out scenario.</summary>
    public int Messages { get; init; } = 100;

    /// <summary>Pipelined SEND MESSAGE commands of the send scenario.</summary>
    public int SendCommands { get; init; } = 100_000;

    public int PayloadBytes { get; init; } = 64;

    /// <summary>SEND MESSAGE commands per second of the latency scenario.</summary>
    public int Rate { get; init; } = 2000;

    /// <summary>SEND MESSAGE commands the latency scenario sends in all.</summary>
    public int LatencyMessages { get; init; } = 10_000;

    /// <summary>Channels of the channels and storm scenarios: client i is on channel i mod this.</summary>
    public int Channels { get; init; } = 100;

    /// <summary>Pipelined PUBLISH MESSAGE commands per channel of the channels scenario.</summary>
    public int Publishes { get; init; } = 100;

    /// <summary>PUBLISH MESSAGE commands per second of the channels scenario's latency phase (round-robin over the channels).</summary>
    public int PublishRate { get; init; } = 1000;

    /// <summary>PUBLISH MESSAGE commands the latency phase sends in all.</summary>
    public int LatencyPublishes { get; init; } = 5000;

    /// <summary>Messages per channel in each phase of the storm (live, then missed); the relay needs <c>--history</c> at least this.</summary>
    public int StormMessages { get; init; } = 100;

    /// <summary>Seconds the idle connections are held before the relay's memory is read.</summary>
    public double Settle { get; init; } = 2;

    /// <summary>Upper bound of every phase, in seconds.</summary>
    public double Timeout { get; init; } = 120;

    /// <summary>Extra arguments for the relay the bench starts itself.</summary>
    public string[] RelayArguments { get; init; } = [];
}
