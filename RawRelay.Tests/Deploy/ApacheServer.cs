using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// A real Apache (Debian's apache2: prefork, mod_php, mod_proxy_wstunnel) started by the test on a
/// loopback port: a main configuration of the test's own in a temporary ServerRoot, loading the modules
/// the way <c>a2enmod</c> does, then the site under test with its <c>&lt;VirtualHost *:80&gt;</c> moved to
/// that port. The parent runs as root (the test's user) and its workers as <c>User</c>/<c>Group</c>;
/// Dispose stops it with SIGTERM to the parent (setsid execs it, keeping the PID), which ends its workers. Thread-safe.
/// </summary>
internal sealed class ApacheServer : IWebServer
{
    public const string Binary = "/usr/sbin/apache2";
    private const string ModulesAvailable = "/etc/apache2/mods-available";

    // The modules of the README's install steps, prefork first (mod_php is not thread-safe).
    private static readonly string[] Modules =
        ["mpm_prefork", "authz_core", "authz_host", "mime", "dir", "env", "proxy", "proxy_http", "proxy_wstunnel"];

    private readonly ServerProcess _process;

    private ApacheServer(ServerProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Logs => _process.Logs;

    /// <summary>Why Apache cannot run here, or null when it can.</summary>
    public static string? MissingReason()
    {
        if (!File.Exists(Binary))
            return "apache2 is not installed (apt-get install apache2 libapache2-mod-php)";
        if (PhpModule() is null)
            return "mod_php is not installed (apt-get install libapache2-mod-php)";
        return null;
    }

    /// <summary>
    /// The user and group Debian's Apache runs its workers as (APACHE_RUN_USER and APACHE_RUN_GROUP of
    /// /etc/apache2/envvars), www-data when that file does not say.
    /// </summary>
    public static (string User, string Group) RunAs()
    {
        const string envvars = "/etc/apache2/envvars";
        string[] lines = File.Exists(envvars) ? File.ReadAllLines(envvars) : [];
        return (Setting("APACHE_RUN_USER"), Setting("APACHE_RUN_GROUP"));

        string Setting(string name) =>
            lines.Select(line => line.Trim())
                .Where(line => line.StartsWith($"export {name}=", StringComparison.Ordinal))
                .Select(line => line[$"export {name}=".Length..])
                .LastOrDefault() ?? "www-data";
    }

    /// <summary>
    /// Starts Apache with <paramref name="site"/> on <paramref name="port"/> (0: a free one), its workers as
    /// Debian's Apache user and group, and waits until its port accepts connections.
    /// </summary>
    public static async Task<ApacheServer> StartAsync(string site, int port = 0)
    {
        (string user, string group) = RunAs();
        string serverRoot = ServerProcess.CreateFolder("rr-apache-");
        port = port == 0 ? LoopbackPort.Free() : port;
        string sitePath = Path.Combine(serverRoot, "rawrelay.conf");
        await File.WriteAllTextAsync(sitePath, DeployFiles.Swap(site, "<VirtualHost *:80>", $"<VirtualHost 127.0.0.1:{port}>"));
        string config = Path.Combine(serverRoot, "apache2.conf");
        await File.WriteAllTextAsync(config, MainConfig(serverRoot, port, user, group, sitePath));

        // In a session of its own: at shutdown prefork signals its whole process group, which would
        // otherwise be the test host's.
        ServerProcess process = await ServerProcess.StartAsync(serverRoot, ["setsid", Binary], ["-f", config, "-DFOREGROUND"],
            () => LoopbackPort.AcceptsAsync(port), Path.Combine(serverRoot, "error.log"));
        return new ApacheServer(process, port);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static string MainConfig(string serverRoot, int port, string user, string group, string sitePath)
    {
        var lines = new List<string>
        {
            $"ServerRoot {serverRoot}",
            "ServerName 127.0.0.1",
            $"Listen 127.0.0.1:{port}",
            $"PidFile {serverRoot}/apache2.pid",
            $"DefaultRuntimeDir {serverRoot}",
            $"ErrorLog {serverRoot}/error.log",
            "LogLevel warn",
            $"User {user}",
            $"Group {group}",
            "Timeout 30",
        };
        lines.AddRange(Modules.Select(module => $"Include {ModulesAvailable}/{module}.load"));
        lines.Add($"Include {PhpModule()}");
        foreach (string module in new[] { "mime", "dir", Path.GetFileNameWithoutExtension(PhpModule()!) })
            lines.Add($"Include {ModulesAvailable}/{module}.conf");
        // A few workers: the machine is small and shared. Under prefork each open WebSocket holds one.
        lines.AddRange(["StartServers 2", "MinSpareServers 1", "MaxSpareServers 4", "MaxRequestWorkers 16"]);
        lines.Add($"Include {sitePath}");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Debian's php&lt;version&gt;.load, whichever PHP version is installed.</summary>
    private static string? PhpModule() =>
        Directory.Exists(ModulesAvailable) ? Directory.GetFiles(ModulesAvailable, "php*.load").Order().LastOrDefault() : null;
}
