using System.Text.RegularExpressions;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// Debian's nginx with a php-fpm pool of the test's own (<see cref="PhpFpmPool"/>), started by the test on
/// a loopback port: a main configuration of the test's own (Debian's, with its paths in a temporary folder)
/// and the site under test, its <c>listen 80</c> moved to that port and its <c>fastcgi_pass</c> to the
/// pool's socket. The configuration folder stands in for /etc/nginx: it links Debian's files there (the
/// site's <c>include snippets/fastcgi-php.conf</c> reads Debian's snippet), but for nginx.conf and the
/// sites. The master runs as root (the test's user), its workers as <see cref="PhpFpmPool.User"/>, as
/// Debian's nginx.conf says. Dispose stops nginx, then php-fpm. Thread-safe.
/// </summary>
internal sealed class NginxServer : IWebServer
{
    private const string DebianConfigFolder = "/etc/nginx";
    private const string InstallLine = "apt-get install nginx php-fpm";

    // What the test's folder has of its own instead of Debian's: the main configuration and the sites.
    private static readonly string[] OwnEntries = ["nginx.conf", "conf.d", "sites-available", "sites-enabled", "modules-enabled"];

    private readonly ServerProcess _nginx;
    private readonly PhpFpmPool _php;

    private NginxServer(ServerProcess nginx, PhpFpmPool php, int port)
    {
        _nginx = nginx;
        _php = php;
        Port = port;
    }

    public int Port { get; }

    public string Logs => _nginx.Logs + "\n" + _php.Logs;

    /// <summary>Why nginx with php-fpm cannot run here, or null when it can.</summary>
    public static string? MissingReason()
    {
        if (TestEnvironment.FindOnPath("nginx") is null || !Directory.Exists(DebianConfigFolder))
            return $"nginx is not installed ({InstallLine}); CI installs it";
        if (PhpFpmPool.Binary() is null)
            return $"php-fpm is not installed ({InstallLine}); CI installs it";
        return null;
    }

    /// <summary>
    /// Starts php-fpm, then nginx with <paramref name="site"/> on <paramref name="port"/> (0: a free one),
    /// and waits until nginx's port accepts connections.
    /// </summary>
    public static async Task<NginxServer> StartAsync(string site, int port = 0)
    {
        PhpFpmPool php = await PhpFpmPool.StartAsync();
        try
        {
            string folder = ServerProcess.CreateFolder("rr-nginx-");
            port = port == 0 ? LoopbackPort.Free() : port;
            LinkDebianConfigFiles(folder);
            string sitePath = Path.Combine(folder, "sites-enabled", "rawrelay");
            Directory.CreateDirectory(Path.GetDirectoryName(sitePath)!);
            await File.WriteAllTextAsync(sitePath, ForTest(site, port, php.Socket));
            string config = Path.Combine(folder, "nginx.conf");
            string errorLog = Path.Combine(folder, "error.log");
            await File.WriteAllTextAsync(config, MainConfig(folder, errorLog, sitePath));
            ServerProcess nginx = await ServerProcess.StartAsync(folder, [TestEnvironment.FindOnPath("nginx")!],
                ["-p", folder + "/", "-c", config, "-e", errorLog, "-g", "daemon off;"], () => LoopbackPort.AcceptsAsync(port), errorLog);
            return new NginxServer(nginx, php, port);
        }
        catch
        {
            await php.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _nginx.DisposeAsync();
        await _php.DisposeAsync();
    }

    /// <summary>The site listening on the test's loopback port and passing PHP to the test's pool.</summary>
    private static string ForTest(string site, int port, string phpSocket)
    {
        site = DeployFiles.Swap(site, "    listen 80;\n", $"    listen 127.0.0.1:{port};\n");
        var fastcgiPass = new Regex(@"fastcgi_pass unix:[^;\s]+;");
        fastcgiPass.Matches(site).Should().ContainSingle("the site passes PHP to php-fpm's socket");
        return fastcgiPass.Replace(site, $"fastcgi_pass unix:{phpSocket};");
    }

    /// <summary>Links to Debian's snippets, fastcgi.conf, mime.types and the rest, which relative includes read.</summary>
    private static void LinkDebianConfigFiles(string folder)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(DebianConfigFolder))
        {
            if (!OwnEntries.Contains(Path.GetFileName(entry)))
                File.CreateSymbolicLink(Path.Combine(folder, Path.GetFileName(entry)), entry);
        }
    }

    /// <summary>Debian's nginx.conf, cut down: its paths in <paramref name="folder"/>, one worker, no access log, the one site.</summary>
    private static string MainConfig(string folder, string errorLog, string sitePath) => $$"""
        user {{PhpFpmPool.User}};
        worker_processes 1;
        pid {{folder}}/nginx.pid;
        error_log {{errorLog}} warn;

        events {
            worker_connections 256;
        }

        http {
            sendfile on;
            tcp_nopush on;
            types_hash_max_size 2048;
            include mime.types;
            default_type application/octet-stream;
            access_log off;
            client_body_temp_path {{folder}}/client_body;
            proxy_temp_path {{folder}}/proxy;
            fastcgi_temp_path {{folder}}/fastcgi;
            uwsgi_temp_path {{folder}}/uwsgi;
            scgi_temp_path {{folder}}/scgi;
            include {{sitePath}};
        }

        """;
}
