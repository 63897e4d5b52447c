using System.Net;
using System.Net.Sockets;
using RawRelay.Cluster;
using RawRelay.Control;
using RawRelay.Diagnostics;
using RawRelay.Http;
using RawRelay.Hub;
using RawRelay.Metrics;
using RawRelay.Pusher;
using RawRelay.Transport;
using RawRelay.Webhooks;
using RawRelay.WebSockets;

namespace RawRelay.Hosting;

/// <summary>
/// Owns one relay: binds the TCP and control listeners, runs their accept loops, the keepalive and the
/// backlog watch, and shuts everything down in the SPEC's order. Start it, then await
/// <see cref="RunAsync"/>. Thread-safe.
/// </summary>
internal sealed class RelayHost : IDisposable
{
    private readonly RelayOptions _options;
    private readonly RelayLog _log;
    private readonly Listener _http;
    private readonly Listener _control;
    private readonly ConnectionContext _context;
    private readonly Relay _relay;
    private readonly MemoryBudget _controlBudget;
    private readonly StaticFiles? _staticFiles;
    private readonly WebhookSender? _webhook;
    private readonly PusherWebhooks? _pusherWebhooks;
    private readonly PusherServer? _pusher;
    private readonly ControlStats _controlStats = new();
    private readonly MetricsServer? _metrics;
    private readonly CancellationTokenSource _abandonWebhook = new();
    private readonly ClusterNode? _cluster;
    private bool _controlFileOwned = true;

    private RelayHost(RelayOptions options, RelayLog log, Listener http, Listener control, StaticFiles? staticFiles)
    {
        _options = options;
        _log = log;
        _http = http;
        _control = control;
        _staticFiles = staticFiles;
        var registry = new ConnectionRegistry(
            new HistoryStore(V1Dialect.Instance, options.History, options.HistoryTtl * 1000L, options.HistoryMemory),
            (long)Math.Round(options.OfflineDelay * 1000));
        var stats = new RelayStats();
        _relay = new Relay(registry, stats, options.MaxChannels);
        _context = new ConnectionContext(new ConnectionOptions
        {
            MaxMessage = options.MaxMessage,
            SendQueueLimit = options.SendQueue,
            SendQueueTotal = options.SendQueueTotal,
            SendTimeout = TimeSpan.FromSeconds(options.SendTimeout),
            Echo = options.Echo,
            ClientRate = options.ClientRate,
            CloseTimeout = options.CloseTimeout,
        }, registry, stats, log);
        _controlBudget = new MemoryBudget(ControlInputLimit(options.MaxMessage));
        if (options.Redis is { } redis)
        {
            string name = options.NodeName ?? $"{System.Net.Dns.GetHostName()}:{HttpEndPoint.Port}";
            _cluster = new ClusterNode(redis, name, TimeSpan.FromSeconds(options.NodeTimeout), options.SubscriptionTtl, _relay, log);
            registry.Cluster = _cluster;
        }

        if (options.Webhook is { } webhook)
        {
            _webhook = new WebhookSender(webhook, log);
            registry.Events.Add(_webhook.Queue);
        }

        if (options.PusherApp is { } app && options.PusherWebhook is { } pusherUrl)
        {
            _pusherWebhooks = new PusherWebhooks(app,
                new WebhookOptions { Url = pusherUrl, Secret = app.Secret, QueueEvents = options.WebhookQueue, QueueBytes = options.WebhookMemory }, log);
            registry.Events.Add(_pusherWebhooks);
        }

        _pusher = options.PusherApp is { } pusherApp
            ? new PusherServer(new PusherOptions
            {
                App = pusherApp,
                ClientEvents = options.PusherClientEvents,
                MaxChannels = options.MaxChannels,
                MaxMessage = options.MaxMessage,
            }, _relay, log, () => DateTimeOffset.UtcNow.ToUnixTimeSeconds(), _pusherWebhooks)
            : null;

        if (options.Metrics is { } metrics)
        {
            try
            {
                _metrics = MetricsServer.Start(metrics, new RelayMetrics(_context, _relay.History, _controlStats, _webhook, log, _pusher, _cluster), log);
            }
            catch
            {
                _webhook?.Dispose();
        _pusherWebhooks?.Sender.Dispose();
                throw;
            }
        }
    }

    /// <summary>Where <c>GET /metrics</c> is served; null without <c>--metrics</c>.</summary>
    public IPEndPoint? MetricsEndPoint => _metrics?.EndPoint;

    /// <summary>The bound TCP endpoint (the real port when <c>--port 0</c> was asked for).</summary>
    public IPEndPoint HttpEndPoint => (IPEndPoint)_http.LocalEndPoint;

    public string ControlPath => _options.Control;

    internal ConnectionRegistry Registry => _context.Registry;

    internal ConnectionContext Context => _context;

    /// <summary>What all control connections may hold of unfinished input beyond their own 64 KiB: 64 MiB, or four largest payloads.</summary>
    public static long ControlInputLimit(long maxMessage) => MemoryBudget.ForMessagesUpTo(maxMessage);

    /// <summary>Binds both listeners; a <see cref="StartupException"/> says why it cannot.</summary>
    public static RelayHost Start(RelayOptions options, RelayLog log)
    {
        StaticFiles? staticFiles = null;
        if (options.Static is not null)
        {
            if (!Directory.Exists(options.Static))
                throw new StartupException($"static folder {options.Static} does not exist");
            staticFiles = new StaticFiles(options.Static);
        }

        Listener http = StartHttp(options, log);
        Listener? control = null;
        try
        {
            control = ControlSocketFile.Listen(options.Control, options.ControlMode, log);
            return new RelayHost(options, log, http, control, staticFiles);
        }
        catch
        {
            http.Dispose();
            if (control is not null)
            {
                control.Dispose();
                ControlSocketFile.Remove(options.Control);
            }

            throw;
        }
    }

    /// <summary>Serves until <paramref name="stop"/> fires, then shuts down: close 1001 to every client,
    /// at most the shutdown timeout for their replies, the control socket file removed.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _log.Info($"listening on {HttpEndPoint} path {_options.Path}, control socket {_options.Control}" +
            (_staticFiles is null ? "" : $", static files from {Path.GetFullPath(_options.Static!)}") +
            (_metrics is null ? "" : $", metrics on http://{_metrics.EndPoint}{MetricsServer.MetricsPath}") +
            (_options.PusherApp is null ? "" : $", Pusher app {_options.PusherApp.AppId} at /app/{_options.PusherApp.Key} and /apps/{_options.PusherApp.AppId}/") +
            (_cluster is null ? "" : $", cluster node {_cluster.Name} on {_options.Redis}"));
        if (_cluster is not null)
            await _cluster.StartAsync().ConfigureAwait(false);
        var policy = new HandshakePolicy(_options.AllowedOrigins, _options.Secret,
            () => DateTimeOffset.UtcNow.ToUnixTimeSeconds(), _options.MaxChannels);
        var httpOptions = new HttpOptions
        {
            Path = _options.Path,
            HandshakeTimeout = _options.HandshakeTimeout,
            MaxConnections = _options.MaxConnections,
            TrustProxy = _options.TrustProxy,
        };
        // The TCP listener stays open until every client is closed: meanwhile it answers upgrades and /healthz
        // with 503, so that a load balancer sees the relay go before its connections do.
        using var listening = new CancellationTokenSource();
        var handler = new HttpConnectionHandler(httpOptions, _context, policy, _staticFiles, stop, listening.Token, _pusher);
        Task httpLoop = _http.AcceptLoopAsync(handler.HandleAsync, listening.Token);
        Task controlLoop = _control.AcceptLoopAsync(socket => ServeControlAsync(socket, stop), stop);
        Task pings = _options.PingInterval > 0
            ? _context.Keepalive.RunAsync(_context.Live, TimeSpan.FromSeconds(_options.PingInterval), stop)
            : Task.CompletedTask;
        Task backlogs = BacklogWatch.RunAsync(_context, stop);
        // Once a second, forget the subscriptions of ids that have had no connection for --subscription-ttl
        // and let history go that is past --history-ttl; ten times a second, the OFFLINE and VACATED that are due.
        Task expiry = EveryAsync(TimeSpan.FromSeconds(1), () =>
        {
            _context.Registry.ExpireIdle(_options.SubscriptionTtl * 1000L);
            _relay.History.Sweep();
        }, stop);
        Task presence = EveryAsync(TimeSpan.FromMilliseconds(100), _context.Registry.Presence.Tick, stop);
        using var trimmer = new MemoryTrimmer(_context.Live, _context.Stats, _log, TimeSpan.FromMilliseconds(500));
        Task webhook = RunWebhookAsync(_webhook);
        Task pusherWebhook = RunWebhookAsync(_pusherWebhooks?.Sender);
        Task metrics = _metrics?.RunAsync(listening.Token) ?? Task.CompletedTask;
        // The heartbeat beats on while the clients close, so that the other relays do not take this one for
        // dead (and drop its presence users unannounced) before it has left the cluster itself.
        using var leaving = new CancellationTokenSource();
        Task heartbeat = _cluster?.RunAsync(leaving.Token) ?? Task.CompletedTask;

        await Task.WhenAll(controlLoop, pings, backlogs, expiry, presence).ConfigureAwait(false);
        // SPEC order: stop accepting, close 1001 to every client and wait for them (at most the shutdown
        // timeout), then remove the control socket file.
        _log.Info($"shutting down: closing {_context.Live.Count} connection(s)");
        _control.Dispose();
        await CloseAllAsync().ConfigureAwait(false);
        await listening.CancelAsync().ConfigureAwait(false);
        await httpLoop.ConfigureAwait(false);
        _http.Dispose();
        await metrics.ConfigureAwait(false);
        await Task.WhenAll(DrainWebhookAsync(_webhook, webhook), DrainWebhookAsync(_pusherWebhooks?.Sender, pusherWebhook)).ConfigureAwait(false);
        await leaving.CancelAsync().ConfigureAwait(false);
        await heartbeat.ConfigureAwait(false);
        if (_cluster is not null)
            await _cluster.DisposeAsync().ConfigureAwait(false);
        Dispose();
        _log.Info("stopped");
        _log.Flush();
    }

    /// <summary>Delivers events to the webhook until the relay stops; a bug of ours is logged, never lost silently.</summary>
    private async Task RunWebhookAsync(WebhookSender? sender)
    {
        if (sender is null)
            return;
        try
        {
            await sender.RunAsync(_abandonWebhook.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abandonWebhook.IsCancellationRequested)
        {
            // Stopped with events undelivered: DrainWebhookAsync says how many.
        }
        catch (Exception e)
        {
            _log.Error("webhook delivery failed unexpectedly; events are no longer posted", e);
        }
    }

    /// <summary>After the connections closed (their CLOSE events queued): what is queued gets a last chance to go.</summary>
    private async Task DrainWebhookAsync(WebhookSender? sender, Task webhook)
    {
        if (sender is null)
            return;
        sender.Queue.Complete();
        if (await Task.WhenAny(webhook, Task.Delay(sender.Options.DrainTimeout)).ConfigureAwait(false) != webhook)
        {
            int left = sender.Queue.Count;
            await _abandonWebhook.CancelAsync().ConfigureAwait(false);
            await webhook.ConfigureAwait(false);
            _log.Warn($"webhook: {left} event(s) and the batch in flight not delivered before the relay stopped");
        }
    }

    private async Task ServeControlAsync(Socket socket, CancellationToken stop)
    {
        _log.Debug("control connection opened");
        var connection = new ControlConnection(socket, new ControlDispatcher(_relay, _log, _webhook, _controlStats, _cluster), _options.MaxMessage, _options.SendQueue,
            _controlBudget, _log);
        await connection.RunAsync(stop).ConfigureAwait(false);
        _log.Debug("control connection closed");
    }

    /// <summary>Runs <paramref name="work"/> every <paramref name="period"/> until the relay stops.</summary>
    private static async Task EveryAsync(TimeSpan period, Action work, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                work();
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task CloseAllAsync()
    {
        using (SendScheduler.Cork())
        {
            foreach (WebSocketConnection connection in _context.Live.Snapshot())
                connection.Shutdown(EndReason.ServerShutdown, CloseCode.GoingAway, "server shutdown");
        }

        try
        {
            await _context.Live.WhenNone().WaitAsync(_context.Options.ShutdownCloseTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _log.Warn($"{_context.Live.Count} connection(s) did not finish closing in time");
            // Their sockets are closed at this moment too (the same timeout): a moment more lets their
            // receive loops end, so that their CLOSE events are still queued for the webhook.
            await Task.WhenAny(_context.Live.WhenNone(), Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }
    }

    private static Listener StartHttp(RelayOptions options, RelayLog log)
    {
        IPAddress address = options.Bind ?? (Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any);
        try
        {
            return Listener.Start(new IPEndPoint(address, options.Port), "TCP listener", log);
        }
        catch (SocketException e)
        {
            throw new StartupException($"cannot listen on {address}:{options.Port}: {e.Message}");
        }
    }

    public void Dispose()
    {
        _webhook?.Dispose();
        _pusherWebhooks?.Sender.Dispose();
        _metrics?.Dispose();
        _http.Dispose();
        _control.Dispose();
        if (_controlFileOwned)
        {
            _controlFileOwned = false;
            ControlSocketFile.Remove(_options.Control);
        }
    }
}
