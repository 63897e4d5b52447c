using System.Net.Sockets;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// Debian's php-fpm (php&lt;version&gt;-fpm, with its php.ini) started by the test in the foreground with a
/// configuration of its own in a temporary folder: one pool whose workers run as <see cref="User"/>, as
/// Debian's www pool does, listening on a UNIX socket in that folder that the web server's user may use.
/// The master runs as root (the test's user). Dispose stops it with SIGTERM to the master, which ends its
/// workers. Thread-safe.
/// </summary>
internal sealed class PhpFpmPool : IAsyncDisposable
{
    /// <summary>The user and group of Debian's www pool, and of its nginx (nginx.conf's <c>user</c>).</summary>
    public const string User = "www-data";

    private readonly ServerProcess _process;

    private PhpFpmPool(ServerProcess process) => _process = process;

    /// <summary>The pool's socket, for nginx's <c>fastcgi_pass unix:...</c>.</summary>
    public string Socket => SocketIn(_process.Folder);

    public string Logs => _process.Logs;

    /// <summary>The newest php-fpm on PATH (Debian's is php-fpm8.2 on bookworm), or null when none is installed.</summary>
    public static string? Binary() => TestEnvironment.FindOnPath("php-fpm*");

    /// <summary>Starts php-fpm and waits until its pool's socket accepts connections.</summary>
    public static async Task<PhpFpmPool> StartAsync()
    {
        string binary = Binary() ?? throw new InvalidOperationException("php-fpm is not installed");
        string folder = ServerProcess.CreateFolder("rr-php-fpm-");
        string config = Path.Combine(folder, "php-fpm.conf");
        string log = Path.Combine(folder, "php-fpm.log");
        await File.WriteAllTextAsync(config, Config(folder, log));
        ServerProcess process = await ServerProcess.StartAsync(folder, [binary], ["--nodaemonize", "--fpm-config", config],
            () => AcceptsAsync(SocketIn(folder)), log);
        return new PhpFpmPool(process);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static string SocketIn(string folder) => Path.Combine(folder, "php-fpm.sock");

    private static string Config(string folder, string log) => string.Join('\n',
        "[global]",
        $"pid = {folder}/php-fpm.pid",
        $"error_log = {log}",
        "[rawrelay]",
        $"user = {User}",
        $"group = {User}",
        $"listen = {SocketIn(folder)}",
        $"listen.owner = {User}",
        $"listen.group = {User}",
        "listen.mode = 0660",
        // Two workers: the machine is small and shared, and every request is short.
        "pm = static",
        "pm.max_children = 2",
        "catch_workers_output = yes") + "\n";

    /// <summary>True when something accepts connections on the UNIX socket at <paramref name="path"/>.</summary>
    private static async Task<bool> AcceptsAsync(string path)
    {
        if (!File.Exists(path))
            return false;                           // not bound yet
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).WithTimeout();
            return true;
        }
        catch (SocketException)
        {
            return false;                           // bound, not listening yet
        }
    }
}
