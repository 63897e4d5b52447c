using System.Net;
using RawRelay.Hosting;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// The deployment files agree with the relay and with each other: the unit's command line is one the relay
/// accepts, with the options a box behind a proxy wants; Apache and nginx pass /websocket to the port it
/// listens on and give PHP the socket it creates; systemd accepts the unit; the README shows them.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class DeployFilesTests
{
    [Test]
    public void The_unit_runs_the_relay_on_loopback_behind_a_trusted_proxy_with_a_group_socket()
    {
        var commandLine = new RelayCommandLine();
        System.CommandLine.ParseResult parsed = commandLine.Parse(DeployFiles.UnitArguments(), new Dictionary<string, string>());
        parsed.Errors.Should().BeEmpty();

        RelayOptions? options = commandLine.ToOptions(parsed, out string problem);

        options.Should().NotBeNull(problem);
        options!.Bind.Should().Be(IPAddress.Loopback, "only the proxy in front should reach the relay");
        options.TrustProxy.Should().BeTrue("behind a proxy LIST should show the browser, not the proxy");
        options.ControlMode.Should().Be((UnixFileMode)Convert.ToInt32("660", 8), "the web server's group may use the socket, nobody else");
        Path.GetDirectoryName(options.Control).Should().Be("/run/" + DeployFiles.UnitSetting("RuntimeDirectory"),
            "the socket lives in the directory systemd creates for the relay's user and group");
        DeployFiles.UnitSetting("Group").Should().Be("www-data", "Debian's Apache and php-fpm run as www-data");
        DeployFiles.UnitSetting("Restart").Should().Be("on-failure");
    }

    [TestCase(DeployFiles.ApacheSite, "ProxyPass {path} ws://127.0.0.1:{port}{path}\n", TestName = "Apache passes the unit's WebSocket path to the unit's port")]
    [TestCase(DeployFiles.NginxSite, "location = {path} {\n        proxy_pass http://127.0.0.1:{port};\n", TestName = "nginx passes the unit's WebSocket path to the unit's port")]
    [TestCase(DeployFiles.ApacheSite, "SetEnv RAWRELAY_CONTROL {control}\n", TestName = "Apache tells PHP the unit's control socket")]
    [TestCase(DeployFiles.NginxSite, "fastcgi_param RAWRELAY_CONTROL {control};\n", TestName = "nginx tells PHP the unit's control socket")]
    [TestCase(DeployFiles.ApacheSite, "ProxyAddHeaders On\n", TestName = "Apache adds X-Forwarded-For")]
    [TestCase(DeployFiles.NginxSite, "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n", TestName = "nginx appends the client to X-Forwarded-For")]
    public void Site_agrees_with_the_unit(string site, string expected)
    {
        string path = new RelayOptions().Path;
        string line = expected
            .Replace("{path}", path, StringComparison.Ordinal)
            .Replace("{port}", DeployFiles.UnitOption("--port"), StringComparison.Ordinal)
            .Replace("{control}", DeployFiles.UnitOption("--control"), StringComparison.Ordinal);

        DeployFiles.Read(site).Should().Contain(line);
    }

    [Test]
    public void The_defaults_turn_the_relays_webhook_to_the_sites_chat_hook()
    {
        Dictionary<string, string> defaults = DeployFiles.CommentedDefaults("RAWRELAY_WEBHOOK", "RAWRELAY_WEBHOOK_SECRET");
        var commandLine = new RelayCommandLine();
        System.CommandLine.ParseResult parsed = commandLine.Parse(DeployFiles.UnitArguments(), defaults);

        RelayOptions? options = commandLine.ToOptions(parsed, out string problem);

        options.Should().NotBeNull(problem);
        options!.Webhook!.Url.Should().Be(new Uri("http://127.0.0.1/chat-hook.php"), "the web server on the relay's box");
        File.Exists(Path.Combine(TestEnvironment.StaticFolder(), options.Webhook.Url.AbsolutePath.TrimStart('/'))).Should().BeTrue();
        options.Webhook.Secret.Should().Be(defaults["RAWRELAY_WEBHOOK_SECRET"]);
    }

    [TestCase(DeployFiles.ApacheSite, "    # SetEnv RAWRELAY_WEBHOOK_SECRET {secret}\n", TestName = "Apache can give PHP the webhook secret the defaults give the relay")]
    [TestCase(DeployFiles.NginxSite, "        # fastcgi_param RAWRELAY_WEBHOOK_SECRET {secret};\n", TestName = "nginx can give PHP the webhook secret the defaults give the relay")]
    public void Site_can_give_PHP_the_webhook_secret(string site, string expected) =>
        DeployFiles.Read(site).Should().Contain(expected.Replace("{secret}", DeployFiles.CommentedDefaults("RAWRELAY_WEBHOOK_SECRET")["RAWRELAY_WEBHOOK_SECRET"], StringComparison.Ordinal));

    [Test, CancelAfter(60_000)]
    public async Task Systemd_accepts_the_unit(CancellationToken ct)
    {
        string systemdAnalyze = TestEnvironment.RequireOnPath("systemd-analyze", "systemd");
        // verify checks that ExecStart's program exists: point it at the executable under test.
        string executable = RelayProcess.Command.Count == 1 ? RelayProcess.Command[0] : Path.Combine(AppContext.BaseDirectory, "rawrelay");
        string directory = Directory.CreateTempSubdirectory("rr-unit-").FullName;
        try
        {
            string unit = Path.Combine(directory, DeployFiles.Unit);
            string text = DeployFiles.Read(DeployFiles.Unit);
            text.Should().Contain("ExecStart=/usr/local/bin/rawrelay ");
            await File.WriteAllTextAsync(unit, text.Replace("ExecStart=/usr/local/bin/rawrelay ", $"ExecStart={executable} "), ct);
            await using ChildProcess verify = ChildProcess.Start([systemdAnalyze], ["verify", unit]);

            (await verify.WaitForExitAsync(ct)).Should().Be(0, verify.Output);
            verify.Output.Should().BeEmpty("systemd warns about unknown or misplaced settings");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestCase(DeployFiles.ApacheSite, TestName = "The README shows the Apache site as it is in the repository")]
    [TestCase(DeployFiles.NginxSite, TestName = "The README shows the nginx site as it is in the repository")]
    public void Readme_shows(string site)
    {
        string path = Path.Combine(TestEnvironment.RepositoryRoot(), "README.md");
        string readme = File.Exists(path) ? File.ReadAllText(path) : "";
        if (!readme.Contains("\n## Deployment", StringComparison.Ordinal))
            Assert.Ignore("README.md has no Deployment section yet");

        readme.Should().Contain(DeployFiles.Read(site), "the README's deployment section is what the tests use");
    }
}
