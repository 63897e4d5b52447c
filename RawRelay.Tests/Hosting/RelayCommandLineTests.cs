using System.Collections;
using System.CommandLine;
using System.Net;
using RawRelay.Diagnostics;
using RawRelay.Hosting;

namespace RawRelay.Tests.Hosting;

/// <summary>Options, their defaults and environment variables, and what makes a usage error (exit 2).</summary>
[TestFixture]
public sealed class RelayCommandLineTests
{
    private static (RelayOptions? Options, string Error, int ParseErrors) Parse(string[] args, IDictionary? environment = null)
    {
        var commandLine = new RelayCommandLine();
        ParseResult parsed = commandLine.Parse(args, environment ?? new Hashtable());
        if (parsed.Errors.Count > 0)
            return (null, parsed.Errors[0].Message, parsed.Errors.Count);
        RelayOptions? options = commandLine.ToOptions(parsed, out string error);
        return (options, error, 0);
    }

    [Test]
    public void Defaults_are_the_specs()
    {
        RelayOptions options = Parse([]).Options!;

        options.Should().BeEquivalentTo(new RelayOptions());
        options.Port.Should().Be(8080);
        options.Bind.Should().BeNull();
        options.Path.Should().Be("/websocket");
        options.Control.Should().Be("/tmp/rawrelay.sock");
        options.ControlMode.Should().Be((UnixFileMode)0b110_110_000);
        options.Static.Should().BeNull();
        options.MaxMessage.Should().Be(1_048_576);
        options.SendQueue.Should().Be(1_048_576);
        options.PingInterval.Should().Be(30);
        options.HandshakeTimeout.Should().Be(10);
        options.MaxConnections.Should().Be(100_000);
        options.LogLevel.Should().Be(LogLevel.Info);
        options.Echo.Should().BeFalse();
        options.Secret.Should().BeNull();
        options.AllowedOrigins.Should().BeEmpty();
        options.TrustProxy.Should().BeFalse();
    }

    [Test]
    public void Every_option_is_read_from_the_command_line()
    {
        RelayOptions options = Parse([
            "--port", "9001", "--bind", "127.0.0.1", "--path", "/ws", "--control", "/tmp/x.sock", "--control-mode", "600",
            "--static", "static", "--max-message", "1000", "--send-queue", "2000", "--ping-interval", "0",
            "--handshake-timeout", "3", "--max-connections", "5", "--log-level", "debug", "--echo",
            "--secret", "k", "--allowed-origin", "https://a", "--allowed-origin", "https://b", "--trust-proxy",
        ]).Options!;

        options.Should().BeEquivalentTo(new RelayOptions
        {
            Port = 9001, Bind = IPAddress.Loopback, Path = "/ws", Control = "/tmp/x.sock",
            ControlMode = (UnixFileMode)0b110_000_000, Static = "static", MaxMessage = 1000, SendQueue = 2000,
            PingInterval = 0, HandshakeTimeout = 3, MaxConnections = 5, LogLevel = LogLevel.Debug, Echo = true,
            Secret = "k", AllowedOrigins = ["https://a", "https://b"], TrustProxy = true,
        });
    }

    [Test]
    public void Every_option_is_read_from_its_environment_variable()
    {
        var environment = new Hashtable
        {
            ["RAWRELAY_PORT"] = "9002", ["RAWRELAY_BIND"] = "::1", ["RAWRELAY_PATH"] = "/live",
            ["RAWRELAY_CONTROL"] = "/tmp/e.sock", ["RAWRELAY_CONTROL_MODE"] = "666", ["RAWRELAY_STATIC"] = "www",
            ["RAWRELAY_MAX_MESSAGE"] = "77", ["RAWRELAY_SEND_QUEUE"] = "88", ["RAWRELAY_PING_INTERVAL"] = "5",
            ["RAWRELAY_HANDSHAKE_TIMEOUT"] = "4", ["RAWRELAY_MAX_CONNECTIONS"] = "9", ["RAWRELAY_LOG_LEVEL"] = "warn",
            ["RAWRELAY_ECHO"] = "1", ["RAWRELAY_SECRET"] = "env-secret",
            ["RAWRELAY_ALLOWED_ORIGIN"] = "https://a, https://b", ["RAWRELAY_TRUST_PROXY"] = "true",
        };

        RelayOptions options = Parse([], environment).Options!;

        options.Should().BeEquivalentTo(new RelayOptions
        {
            Port = 9002, Bind = IPAddress.IPv6Loopback, Path = "/live", Control = "/tmp/e.sock",
            ControlMode = (UnixFileMode)0b110_110_110, Static = "www", MaxMessage = 77, SendQueue = 88,
            PingInterval = 5, HandshakeTimeout = 4, MaxConnections = 9, LogLevel = LogLevel.Warn, Echo = true,
            Secret = "env-secret", AllowedOrigins = ["https://a", "https://b"], TrustProxy = true,
        });
    }

    [Test]
    public void The_command_line_wins_over_the_environment()
    {
        var environment = new Hashtable { ["RAWRELAY_PORT"] = "9003", ["RAWRELAY_ALLOWED_ORIGIN"] = "https://env" };

        RelayOptions options = Parse(["--port", "9004", "--allowed-origin", "https://cli"], environment).Options!;

        options.Port.Should().Be(9004);
        options.AllowedOrigins.Should().Equal("https://cli");
    }

    [TestCase("0")]
    [TestCase("false")]
    public void A_flag_set_to_false_in_the_environment_stays_off(string value) =>
        Parse([], new Hashtable { ["RAWRELAY_ECHO"] = value }).Options!.Echo.Should().BeFalse();

    [TestCase("--port http", TestName = "Port_that_is_not_a_number")]
    [TestCase("--no-such-option", TestName = "Unknown_option")]
    [TestCase("--port", TestName = "Option_without_its_value")]
    [TestCase("--port 1 --port 2", TestName = "Single_option_given_twice")]
    public void Malformed_arguments_are_parse_errors(string commandLine) =>
        Parse(commandLine.Split(' ')).ParseErrors.Should().BeGreaterThan(0);

    [TestCase(new[] { "--port", "70000" }, "--port")]
    [TestCase(new[] { "--bind", "localhost-ish" }, "--bind")]
    [TestCase(new[] { "--path", "websocket" }, "--path")]
    [TestCase(new[] { "--control-mode", "680" }, "--control-mode")]
    [TestCase(new[] { "--max-message", "0" }, "--max-message")]
    [TestCase(new[] { "--send-queue", "0" }, "--send-queue")]
    [TestCase(new[] { "--ping-interval", "-1" }, "--ping-interval")]
    [TestCase(new[] { "--handshake-timeout", "0" }, "--handshake-timeout")]
    [TestCase(new[] { "--max-connections", "0" }, "--max-connections")]
    [TestCase(new[] { "--log-level", "loud" }, "--log-level")]
    [TestCase(new[] { "--secret", "" }, "--secret")]
    [TestCase(new[] { "--offline-delay", "-1" }, "--offline-delay")]
    [TestCase(new[] { "--client-rate", "-0.5" }, "--client-rate")]
    [TestCase(new[] { "--webhook", "http://127.0.0.1/hook" }, "--webhook-secret")]
    [TestCase(new[] { "--webhook", "ftp://x/hook", "--webhook-secret", "s" }, "--webhook")]
    [TestCase(new[] { "--webhook", "/hook.php", "--webhook-secret", "s" }, "--webhook")]
    [TestCase(new[] { "--webhook-secret", "s" }, "--webhook")]
    [TestCase(new[] { "--webhook", "http://h/", "--webhook-secret", "s", "--webhook-queue", "0" }, "--webhook-queue")]
    [TestCase(new[] { "--webhook", "http://h/", "--webhook-secret", "s", "--webhook-memory", "1000" }, "--webhook-memory")]
    [TestCase(new[] { "--metrics", "9464" }, "--metrics")]
    [TestCase(new[] { "--metrics", "127.0.0.1" }, "--metrics")]
    [TestCase(new[] { "--metrics", "localhost:9464" }, "--metrics")]
    [TestCase(new[] { "--metrics", "127.0.0.1:70000" }, "--metrics")]
    [TestCase(new[] { "--log-format", "xml" }, "--log-format")]
    public void Values_out_of_range_are_usage_errors_that_name_the_option(string[] args, string option)
    {
        (RelayOptions? options, string error, _) = Parse(args);

        options.Should().BeNull();
        error.Should().Contain(option);
    }

    [Test]
    public void The_events_options_are_read_with_fractions_and_the_webhook_with_its_own()
    {
        RelayOptions options = Parse([
            "--offline-delay", "0.25", "--client-rate", "2.5", "--webhook", "https://app.example/hook.php",
            "--webhook-secret", "s3", "--webhook-queue", "50", "--webhook-memory", "2097152",
        ]).Options!;

        options.OfflineDelay.Should().Be(0.25);
        options.ClientRate.Should().Be(2.5);
        options.Webhook.Should().BeEquivalentTo(new Webhooks.WebhookOptions
        {
            Url = new Uri("https://app.example/hook.php"), Secret = "s3", QueueEvents = 50, QueueBytes = 2097152,
        });
        new RelayOptions().OfflineDelay.Should().Be(3);
        new RelayOptions().ClientRate.Should().Be(0);
        new RelayOptions().Webhook.Should().BeNull();
    }

    [Test]
    public void Metrics_take_an_address_and_a_port_and_the_log_a_format()
    {
        Parse(["--metrics", "127.0.0.1:9464"]).Options!.Metrics.Should().Be(new IPEndPoint(IPAddress.Loopback, 9464));
        Parse(["--metrics", "[::1]:0"]).Options!.Metrics.Should().Be(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        Parse([], new Hashtable { ["RAWRELAY_METRICS"] = "0.0.0.0:9100", ["RAWRELAY_LOG_FORMAT"] = "JSON" }).Options!
            .Should().Match<RelayOptions>(o => o.Metrics!.Equals(new IPEndPoint(IPAddress.Any, 9100)) && o.LogFormat == LogFormat.Json);
        Parse(["--log-format", "text"]).Options!.LogFormat.Should().Be(LogFormat.Text);
        new RelayOptions().Metrics.Should().BeNull();
        new RelayOptions().LogFormat.Should().Be(LogFormat.Text);
    }

    [Test]
    public void A_bad_environment_value_is_a_parse_error_too() =>
        Parse([], new Hashtable { ["RAWRELAY_PORT"] = "eighty" }).ParseErrors.Should().BeGreaterThan(0);

    [Test]
    public void Environment_names_follow_the_option_names()
    {
        RelayCommandLine.EnvironmentName(new Option<int>("--max-message")).Should().Be("RAWRELAY_MAX_MESSAGE");
        RelayCommandLine.EnvironmentName(new Option<bool>("--trust-proxy")).Should().Be("RAWRELAY_TRUST_PROXY");
    }
}
