using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// PHP's built-in web server (<c>php -S 127.0.0.1:&lt;port&gt; -t static</c>) serving the demo site, with
/// <c>RAWRELAY_CONTROL</c> pointing send.php at a relay. Dispose stops it. Thread-safe.
/// </summary>
internal sealed class PhpServer : IAsyncDisposable
{
    private readonly Process _process;

    private PhpServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public static async Task<PhpServer> StartAsync(string documentRoot, string controlPath)
    {
        int port = FreePort();
        var info = new ProcessStartInfo(TestEnvironment.RequireOnPath("php", "php-cli"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = documentRoot,
        };
        foreach (string argument in new[] { "-S", $"127.0.0.1:{port}", "-t", documentRoot })
            info.ArgumentList.Add(argument);
        info.Environment["RAWRELAY_CONTROL"] = controlPath;
        info.Environment.Remove("RAWRELAY_SECRET");     // token.php stays a 404: the relay runs without --secret

        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };    // drained, so the server never blocks on a full pipe
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PhpServer(process, port);
        await TaskTimeouts.Eventually(async () => process.HasExited || await AcceptsAsync(port), TimeSpan.FromSeconds(20));
        if (process.HasExited)
            throw new InvalidOperationException($"php -S exited with {process.ExitCode}");
        return server;
    }

    /// <summary>A port that was free a moment ago (php -S needs a number, it cannot take port 0).</summary>
    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;                           // not listening yet
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WithTimeout();
        }

        _process.Dispose();
    }
}
