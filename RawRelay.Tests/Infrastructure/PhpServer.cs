using System.Diagnostics;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// PHP's built-in web server (<c>php -S 127.0.0.1:&lt;port&gt; -t static</c>) serving the demo site, with
/// <c>RAWRELAY_CONTROL</c> pointing send.php at a relay. Dispose stops it (its own PID). Thread-safe.
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

    /// <summary>
    /// Starts it on <paramref name="port"/> (0: a free one) with <paramref name="environment"/> added (the
    /// webhook's secret, the demo's data folder, ...) and waits until it accepts connections.
    /// </summary>
    public static async Task<PhpServer> StartAsync(string documentRoot, string controlPath,
        IReadOnlyDictionary<string, string>? environment = null, int port = 0)
    {
        port = port == 0 ? LoopbackPort.Free() : port;
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
        info.Environment.Remove("RAWRELAY_WEBHOOK_SECRET");
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;

        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };    // drained, so the server never blocks on a full pipe
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PhpServer(process, port);
        await TaskTimeouts.Eventually(async () => process.HasExited || await LoopbackPort.AcceptsAsync(port), TimeSpan.FromSeconds(20));
        if (process.HasExited)
            throw new InvalidOperationException($"php -S exited with {process.ExitCode}");
        return server;
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
