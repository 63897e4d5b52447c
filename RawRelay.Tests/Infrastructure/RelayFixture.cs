using System.Net;
using System.Text.RegularExpressions;
using RawRelay.Diagnostics;
using RawRelay.Hosting;
using RawRelay.Hub;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// A relay running in this process on an ephemeral port and a unique temporary control socket, with its
/// log captured. Dispose stops it the way SIGTERM does. A test fails when the relay logs an ERROR line it
/// did not declare with <see cref="ExpectErrors"/> (see <see cref="ErrorLog"/>).
/// </summary>
internal sealed class RelayFixture : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly StringWriter _logText = new();
    private readonly TextWriter _logWriter;     // TextWriter.Synchronized: its writes lock on it, and so does reading the text
    private readonly RelayLog _log;
    private readonly RelayHost _host;
    private readonly ErrorLog _errors;
    private ControlClient? _control;

    private RelayFixture(RelayOptions options)
    {
        Options = options;
        _logWriter = TextWriter.Synchronized(_logText);
        _log = new RelayLog(_logWriter, options.LogLevel, options.LogFormat);
        _host = RelayHost.Start(options, _log);
        _errors = ErrorLog.Watch(() => LogText, $"the relay on port {Port}");
        Run = _host.RunAsync(_stop.Token);
    }

    public RelayOptions Options { get; }

    public int Port => _host.HttpEndPoint.Port;

    public string ControlPath => Options.Control;

    /// <summary>The port of <c>GET /metrics</c> (<c>--metrics</c>); the relay must have been started with Metrics.</summary>
    public int MetricsPort => _host.MetricsEndPoint?.Port ?? throw new InvalidOperationException("started without Metrics");

    /// <summary>Completes when the relay has shut down.</summary>
    public Task Run { get; }

    /// <summary>A control connection opened on first use and shared by the fixture's tests.</summary>
    public ControlClient Control => _control ??= ControlClient.Connect(ControlPath);

    /// <summary>The relay's registry, for tests that list connections of their own making.</summary>
    internal ConnectionRegistry Registry => _host.Registry;

    public string LogText
    {
        get
        {
            _log.Flush();
            lock (_logWriter)
                return _logText.ToString();
        }
    }

    /// <summary>Starts a relay on 127.0.0.1, port 0 and /tmp/rr-&lt;guid&gt;.sock; <paramref name="configure"/> may change any option.</summary>
    public static RelayFixture Start(Func<RelayOptions, RelayOptions>? configure = null)
    {
        var options = new RelayOptions
        {
            Port = 0,
            Bind = IPAddress.Loopback,
            Control = TempSocketPath(),
            LogLevel = LogLevel.Debug,
        };
        return new RelayFixture(configure?.Invoke(options) ?? options);
    }

    /// <summary>ERROR lines matching <paramref name="pattern"/> are expected from now on and do not fail the test.</summary>
    public RelayFixture ExpectErrors(Regex pattern)
    {
        _errors.Expect(pattern);
        return this;
    }

    /// <summary>As <see cref="ExpectErrors(Regex)"/>, with a regular expression in a string.</summary>
    public RelayFixture ExpectErrors(string pattern) => ExpectErrors(new Regex(pattern));

    /// <summary>A unique socket path short enough for sun_path.</summary>
    public static string TempSocketPath() => $"/tmp/rr-{Guid.NewGuid():N}.sock";

    public Uri BoardUri(string id) => new($"ws://127.0.0.1:{Port}{Options.Path}?id={Uri.EscapeDataString(id)}");

    public Task<RawWebSocketClient> ConnectAsync(string id, CancellationToken ct = default) =>
        RawWebSocketClient.ConnectAsync(Port, id, ct, Options.Path);

    /// <summary>A fresh control connection of the test's own.</summary>
    public ControlClient OpenControl() => ControlClient.Connect(ControlPath);

    /// <summary>Starts stopping the relay as SIGTERM would, without waiting (<see cref="Run"/> completes when it has).</summary>
    public void BeginStop() => _stop.Cancel();

    /// <summary>Stops the relay as SIGTERM would and waits for it.</summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        await Run.WithTimeout(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _control?.Dispose();
            if (!_stop.IsCancellationRequested)
                await StopAsync();
            _log.Dispose();
            _stop.Dispose();
        }
        finally
        {
            _errors.Close();
        }
    }
}
