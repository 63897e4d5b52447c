using System.Collections;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using RawRelay.Bench;
using RawRelay.Diagnostics;

namespace RawRelay.Hosting;

/// <summary>
/// The command line (System.CommandLine) and its environment variables: every option of the SPEC, each
/// also settable as <c>RAWRELAY_&lt;NAME&gt;</c>; the command line wins. Maps them to
/// <see cref="RelayOptions"/> or to a usage error (exit 2). Not thread-safe; used once at start.
/// </summary>
internal sealed class RelayCommandLine
{
    private readonly Option<int> _port = new("--port") { Description = "TCP port for WebSocket and HTTP (default 8080)", DefaultValueFactory = _ => 8080 };
    private readonly Option<string?> _bind = new("--bind") { Description = "address to listen on (default: all interfaces, IPv4 and IPv6)" };
    private readonly Option<string> _path = new("--path") { Description = "the WebSocket endpoint (default /websocket)", DefaultValueFactory = _ => "/websocket" };
    private readonly Option<string> _control = new("--control") { Description = "path of the control socket (default /tmp/rawrelay.sock)", DefaultValueFactory = _ => "/tmp/rawrelay.sock" };
    private readonly Option<string> _controlMode = new("--control-mode") { Description = "octal file mode of the control socket (default 660)", DefaultValueFactory = _ => "660" };
    private readonly Option<string?> _static = new("--static") { Description = "folder served over plain HTTP on the same port (default: none)" };
    private readonly Option<long> _maxMessage = new("--max-message") { Description = "largest message in bytes, in and out (default 1048576)", DefaultValueFactory = _ => 1048576 };
    private readonly Option<long> _sendQueue = new("--send-queue") { Description = "bytes held for one slow client before it is cut off (default 1048576)", DefaultValueFactory = _ => 1048576 };
    private readonly Option<long> _sendQueueTotal = new("--send-queue-total") { Description = "bytes all slow clients together may hold before the next one to grow is cut off (default 268435456)", DefaultValueFactory = _ => 256L * 1024 * 1024 };
    private readonly Option<int> _sendTimeout = new("--send-timeout") { Description = "seconds a client's send queue may stay non-empty before it is cut off; 0 for never (default 30)", DefaultValueFactory = _ => 30 };
    private readonly Option<int> _pingInterval = new("--ping-interval") { Description = "seconds between server pings; 0 turns pings off (default 30)", DefaultValueFactory = _ => 30 };
    private readonly Option<int> _subscriptionTtl = new("--subscription-ttl") { Description = "seconds an id's subscriptions outlive its last connection (default 600)", DefaultValueFactory = _ => 600 };
    private readonly Option<int> _maxChannels = new("--max-channels") { Description = "channels one id may be subscribed to, and one connection may ask for (default 128)", DefaultValueFactory = _ => 128 };
    private readonly Option<int> _history = new("--history") { Description = "messages kept per stream for clients that resume; 0 turns history off (default 0)", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _historyTtl = new("--history-ttl") { Description = "seconds a message is kept at most (default 600)", DefaultValueFactory = _ => 600 };
    private readonly Option<long> _historyMemory = new("--history-memory") { Description = "bytes all kept messages may take together; the oldest go first (default 67108864)", DefaultValueFactory = _ => 64L * 1024 * 1024 };
    private readonly Option<double> _offlineDelay = new("--offline-delay") { Description = "seconds after an id's last connection closed before OFFLINE, and after a channel's last left before VACATED (default 3)", DefaultValueFactory = _ => 3 };
    private readonly Option<double> _clientRate = new("--client-rate") { Description = "messages a client may send a second on average, in bursts of max(1, R); over it, close 1008; 0 for no limit (default 0)", DefaultValueFactory = _ => 0 };
    private readonly Option<string?> _webhook = new("--webhook") { Description = "POST the relay's events as signed JSON to this http(s) URL (default: none)" };
    private readonly Option<string?> _webhookSecret = new("--webhook-secret") { Description = "the key of the webhook's X-RawRelay-Signature (HMAC-SHA256); required with --webhook" };
    private readonly Option<int> _webhookQueue = new("--webhook-queue") { Description = "events waiting for the webhook at most; more are dropped and counted (default 10000)", DefaultValueFactory = _ => 10_000 };
    private readonly Option<long> _webhookMemory = new("--webhook-memory") { Description = "bytes the waiting events may take at most; more are dropped and counted (default 67108864)", DefaultValueFactory = _ => 64L * 1024 * 1024 };
    private readonly Option<int> _handshakeTimeout = new("--handshake-timeout") { Description = "seconds a client has to complete its HTTP request (default 10)", DefaultValueFactory = _ => 10 };
    private readonly Option<int> _maxConnections = new("--max-connections") { Description = "open WebSocket connections; more get HTTP 503 (default 100000)", DefaultValueFactory = _ => 100_000 };
    private readonly Option<string> _logLevel = new("--log-level") { Description = "debug, info, warn or error (default info)", DefaultValueFactory = _ => "info" };
    private readonly Option<string> _logFormat = new("--log-format") { Description = "text, or json for one JSON object a line (default text)", DefaultValueFactory = _ => "text" };
    private readonly Option<string?> _metrics = new("--metrics") { Description = "serve GET /metrics (Prometheus) on this <address>:<port> of its own, e.g. 127.0.0.1:9464 (default: none)" };
    private readonly Option<bool> _echo = new("--echo") { Description = "send every client message back to it (for conformance suites)" };
    private readonly Option<string?> _secret = new("--secret") { Description = "require a valid exp and token on every connection (HMAC-SHA256 of <id>:<exp>)" };
    private readonly Option<string[]> _allowedOrigin = new("--allowed-origin") { Description = "an Origin that may connect; repeatable (default: any)", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string?> _redis = new("--redis") { Description = "join the cluster of relays on this Redis: redis://[:password@]host:port[/db] (default: none, a single node)" };
    private readonly Option<string?> _nodeName = new("--node-name") { Description = "this relay's name in the cluster, LIST's third field (default <hostname>:<port>)" };
    private readonly Option<double> _nodeTimeout = new("--node-timeout") { Description = "seconds after which a relay that stopped answering leaves the cluster's LIST and counts (default 15)", DefaultValueFactory = _ => 15 };
    private readonly Option<bool> _trustProxy = new("--trust-proxy") { Description = "take the client address from X-Forwarded-For" };
    private readonly Option<string?> _pusherApp = new("--pusher-app") { Description = "also speak the Pusher Channels protocol for this app: <app_id>:<key>:<secret> (default: off)" };
    private readonly Option<string?> _pusherWebhook = new("--pusher-webhook") { Description = "POST Pusher-format webhooks (channel_occupied, channel_vacated, member_added, member_removed, client_event) to this http(s) URL, signed with the app's secret" };
    private readonly Option<bool> _pusherClientEvents = new("--pusher-client-events") { Description = "let Pusher clients send client- events on private and presence channels" };

    public RelayCommandLine()
    {
        Root = new RootCommand("RawRelay: holds browsers' WebSocket connections and sends them what a local control socket says.")
        {
            _port, _bind, _path, _control, _controlMode, _static, _maxMessage, _sendQueue, _sendQueueTotal, _sendTimeout, _pingInterval, _subscriptionTtl, _maxChannels, _history, _historyTtl, _historyMemory,
            _offlineDelay, _clientRate, _webhook, _webhookSecret, _webhookQueue, _webhookMemory, _handshakeTimeout, _maxConnections, _logLevel, _logFormat, _metrics, _echo, _secret, _allowedOrigin, _trustProxy,
            _pusherApp, _pusherClientEvents, _pusherWebhook, _redis, _nodeName, _nodeTimeout,
        };
        Root.Subcommands.Add(new BenchCommandLine().Command);
        // A root with subcommands needs an action of its own, or a bare `rawrelay` is "command required".
        // Program runs the relay itself (it needs the options and the signals), so this one only marks it.
        Root.SetAction(_ => ExitCodes.Ok);
    }

    public RootCommand Root { get; }

    /// <summary>Whether the parse asks for the relay itself, not for --help, --version or a subcommand.</summary>
    public bool RunsRelay(ParseResult parsed) => parsed.Action == Root.Action;

    /// <summary>
    /// Parses the arguments with the environment's settings for every option the arguments leave out.
    /// </summary>
    public ParseResult Parse(IReadOnlyList<string> args, IDictionary environment)
    {
        ParseResult parsed = Root.Parse(args.ToArray());
        if (parsed.Errors.Count > 0 || parsed.CommandResult.Command != Root)
            return parsed;
        List<string> fromEnvironment = EnvironmentArguments(parsed, environment);
        return fromEnvironment.Count == 0 ? parsed : Root.Parse([.. args, .. fromEnvironment]);
    }

    /// <summary>The options, or an error message for values that parse but make no sense.</summary>
    public RelayOptions? ToOptions(ParseResult parsed, out string error)
    {
        error = "";
        IPAddress? bind = null;
        string? bindText = parsed.GetValue(_bind);
        if (bindText is not null && !IPAddress.TryParse(bindText.Trim('[', ']'), out bind))
            return Fail($"--bind: '{bindText}' is not an IP address", out error);
        int port = parsed.GetValue(_port);
        if (port is < 0 or > 65535)
            return Fail("--port must be 0-65535", out error);
        string path = parsed.GetValue(_path)!;
        if (!path.StartsWith('/') || path.Contains('?') || path.Contains(' '))
            return Fail("--path must start with '/' and hold no '?' or space", out error);
        string modeText = parsed.GetValue(_controlMode)!;
        if (modeText.Length is 0 or > 4 || modeText.Any(c => c is < '0' or > '7'))
            return Fail($"--control-mode: '{modeText}' is not an octal file mode", out error);
        long maxMessage = parsed.GetValue(_maxMessage);
        if (maxMessage is < 1 or > int.MaxValue - 1024)
            return Fail("--max-message must be between 1 and 2147482623", out error);
        long sendQueue = parsed.GetValue(_sendQueue);
        if (sendQueue < 1)
            return Fail("--send-queue must be at least 1", out error);
        long sendQueueTotal = parsed.GetValue(_sendQueueTotal);
        if (sendQueueTotal < sendQueue)
            return Fail("--send-queue-total must be at least --send-queue", out error);
        int sendTimeout = parsed.GetValue(_sendTimeout);
        if (sendTimeout < 0)
            return Fail("--send-timeout must be 0 or more", out error);
        int pingInterval = parsed.GetValue(_pingInterval);
        if (pingInterval < 0)
            return Fail("--ping-interval must be 0 or more", out error);
        int subscriptionTtl = parsed.GetValue(_subscriptionTtl);
        if (subscriptionTtl < 0)
            return Fail("--subscription-ttl must be 0 or more", out error);
        int maxChannels = parsed.GetValue(_maxChannels);
        if (maxChannels < 1)
            return Fail("--max-channels must be at least 1", out error);
        int history = parsed.GetValue(_history);
        if (history < 0)
            return Fail("--history must be 0 or more", out error);
        int historyTtl = parsed.GetValue(_historyTtl);
        if (historyTtl < 1)
            return Fail("--history-ttl must be at least 1", out error);
        long historyMemory = parsed.GetValue(_historyMemory);
        if (historyMemory < 1)
            return Fail("--history-memory must be at least 1", out error);
        double offlineDelay = parsed.GetValue(_offlineDelay);
        if (!double.IsFinite(offlineDelay) || offlineDelay is < 0 or > 86400)
            return Fail("--offline-delay must be between 0 and 86400 seconds", out error);
        double clientRate = parsed.GetValue(_clientRate);
        if (!double.IsFinite(clientRate) || clientRate < 0)
            return Fail("--client-rate must be 0 or more", out error);
        if (!TryWebhook(parsed, out Webhooks.WebhookOptions? webhook, out error))
            return null;
        int handshakeTimeout = parsed.GetValue(_handshakeTimeout);
        if (handshakeTimeout < 1)
            return Fail("--handshake-timeout must be at least 1", out error);
        int maxConnections = parsed.GetValue(_maxConnections);
        if (maxConnections < 1)
            return Fail("--max-connections must be at least 1", out error);
        if (!RelayLog.TryParseLevel(parsed.GetValue(_logLevel)!, out LogLevel level))
            return Fail("--log-level must be debug, info, warn or error", out error);
        if (!RelayLog.TryParseFormat(parsed.GetValue(_logFormat)!, out LogFormat format))
            return Fail("--log-format must be text or json", out error);
        IPEndPoint? metrics = null;
        string? metricsText = parsed.GetValue(_metrics);
        if (metricsText is not null && (!IPEndPoint.TryParse(metricsText, out metrics) || !metricsText.Contains(':', StringComparison.Ordinal)))
            return Fail($"--metrics: '{metricsText}' is not <address>:<port> (127.0.0.1:9464, [::1]:9464)", out error);
        string? secret = parsed.GetValue(_secret);
        if (secret is { Length: 0 })
            return Fail("--secret must not be empty", out error);
        Pusher.PusherApp? pusherApp = null;
        if (parsed.GetValue(_pusherApp) is { } pusherText && (pusherApp = Pusher.PusherApp.Parse(pusherText)) is null)
            return Fail("--pusher-app must be <app_id>:<key>:<secret> (letters, digits, '-', '_', '.')", out error);
        if (parsed.GetValue(_pusherClientEvents) && pusherApp is null)
            return Fail("--pusher-client-events needs --pusher-app", out error);
        Uri? pusherWebhook = null;
        if (parsed.GetValue(_pusherWebhook) is { } pusherUrl)
        {
            if (pusherApp is null)
                return Fail("--pusher-webhook needs --pusher-app (its secret signs the webhooks)", out error);
            if (!Uri.TryCreate(pusherUrl, UriKind.Absolute, out pusherWebhook) || pusherWebhook.Scheme is not ("http" or "https"))
                return Fail($"--pusher-webhook: '{pusherUrl}' is not an http:// or https:// URL", out error);
        }
        Cluster.RedisAddress? redis = null;
        if (parsed.GetValue(_redis) is { } redisText && !Cluster.RedisAddress.TryParse(redisText, out redis, out string redisError))
            return Fail($"--redis: '{redisText}' {redisError} (redis://[:password@]host:port[/db])", out error);
        string? nodeName = parsed.GetValue(_nodeName);
        if (nodeName is not null && !Cluster.ClusterWire.IsNodeName(nodeName))
            return Fail("--node-name must be 1-100 characters of letters, digits and . _ : - [ ]", out error);
        if ((nodeName is not null || parsed.GetResult(_nodeTimeout) is { Implicit: false }) && redis is null)
            return Fail("--node-name and --node-timeout need --redis", out error);
        double nodeTimeout = parsed.GetValue(_nodeTimeout);
        if (!double.IsFinite(nodeTimeout) || nodeTimeout is < 0.5 or > 3600)
            return Fail("--node-timeout must be between 0.5 and 3600 seconds", out error);

        return new RelayOptions
        {
            Port = port,
            Bind = bind,
            Path = path,
            Control = parsed.GetValue(_control)!,
            ControlMode = (UnixFileMode)Convert.ToInt32(modeText, 8),
            Static = parsed.GetValue(_static),
            MaxMessage = maxMessage,
            SendQueue = sendQueue,
            SendQueueTotal = sendQueueTotal,
            SendTimeout = sendTimeout,
            PingInterval = pingInterval,
            SubscriptionTtl = subscriptionTtl,
            MaxChannels = maxChannels,
            History = history,
            HistoryTtl = historyTtl,
            HistoryMemory = historyMemory,
            OfflineDelay = offlineDelay,
            Webhook = webhook,
            ClientRate = clientRate,
            HandshakeTimeout = handshakeTimeout,
            MaxConnections = maxConnections,
            LogLevel = level,
            LogFormat = format,
            Metrics = metrics,
            Echo = parsed.GetValue(_echo),
            Secret = secret,
            AllowedOrigins = parsed.GetValue(_allowedOrigin) ?? [],
            TrustProxy = parsed.GetValue(_trustProxy),
            PusherApp = pusherApp,
            PusherClientEvents = parsed.GetValue(_pusherClientEvents),
            PusherWebhook = pusherWebhook,
            WebhookQueue = parsed.GetValue(_webhookQueue),
            WebhookMemory = parsed.GetValue(_webhookMemory),
            Redis = redis,
            NodeName = nodeName,
            NodeTimeout = nodeTimeout,
        };
    }

    /// <summary>The webhook's options, null without --webhook; false with the error when they make no sense.</summary>
    private bool TryWebhook(ParseResult parsed, out Webhooks.WebhookOptions? webhook, out string error)
    {
        webhook = null;
        error = "";
        string? url = parsed.GetValue(_webhook), secret = parsed.GetValue(_webhookSecret);
        int queue = parsed.GetValue(_webhookQueue);
        long memory = parsed.GetValue(_webhookMemory);
        if (url is null)
        {
            if (secret is not null)
                error = "--webhook-secret needs --webhook";
            return secret is null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
            error = $"--webhook: '{url}' is not an http:// or https:// URL";
        else if (string.IsNullOrEmpty(secret))
            error = "--webhook needs --webhook-secret (the key its signature is made with)";
        else if (queue < 1)
            error = "--webhook-queue must be at least 1";
        else if (memory < 1024 * 1024)
            error = "--webhook-memory must be at least 1048576";
        else
            webhook = new Webhooks.WebhookOptions { Url = uri, Secret = secret, QueueEvents = queue, QueueBytes = memory };
        return webhook is not null;
    }

    /// <summary>RAWRELAY_PORT for --port, RAWRELAY_MAX_MESSAGE for --max-message, and so on.</summary>
    public static string EnvironmentName(Option option) =>
        "RAWRELAY_" + option.Name.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    private List<string> EnvironmentArguments(ParseResult parsed, IDictionary environment)
    {
        var arguments = new List<string>();
        foreach (Option option in Root.Options)
        {
            if (option.Name is "--help" or "--version" || parsed.GetResult(option) is { Implicit: false })
                continue;
            if (environment[EnvironmentName(option)] is not string value)
                continue;
            if (option.ValueType == typeof(bool))
            {
                if (IsTrue(value))
                    arguments.Add(option.Name);
            }
            else if (option.ValueType == typeof(string[]))
            {
                foreach (string item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    arguments.AddRange([option.Name, item]);
            }
            else
            {
                arguments.AddRange([option.Name, value]);
            }
        }

        return arguments;
    }

    private static bool IsTrue(string value) =>
        value.Equals("1", StringComparison.Ordinal) || value.Equals("true", StringComparison.OrdinalIgnoreCase);

    private static RelayOptions? Fail(string message, out string error)
    {
        error = message;
        return null;
    }
}
