using System.Diagnostics;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// Debian's <c>redis-server</c> as a child process on a free loopback port with a temporary folder, saving
/// nothing (<c>--save '' --appendonly no</c>), so a restart comes back empty as after a crash. The test is
/// ignored when redis-server is not installed. <see cref="CliAsync"/> runs redis-cli against it. Dispose
/// stops it (by its PID) and removes the folder. Not thread-safe.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string _program;
    private readonly string _folder;
    private ChildProcess? _process;

    private RedisServer(string program, string folder, int port)
    {
        _program = program;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The URL relays take with --redis.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        string program = TestEnvironment.RequireOnPath("redis-server", "redis-server");
        TestEnvironment.RequireOnPath("redis-cli", "redis-server");
        string folder = Directory.CreateTempSubdirectory("rr-redis-").FullName;
        var server = new RedisServer(program, folder, LoopbackPort.Free());
        await server.RunAsync();
        return server;
    }

    /// <summary>Starts it again on the same port, empty.</summary>
    public Task RestartAsync() => RunAsync();

    private async Task RunAsync()
    {
        _process = ChildProcess.Start([_program], ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", _folder, "--protected-mode", "no"]);
        await _process.WaitForLineAsync(l => l.Contains("Ready to accept connections", StringComparison.Ordinal)).WithTimeout();
    }

    /// <summary>Stops it at once (SIGKILL): what it held is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is null)
            return;
        _process.Kill();
        await _process.WaitForExitAsync().WithTimeout();
        await _process.DisposeAsync();
        _process = null;
    }

    /// <summary>Runs <c>redis-cli</c> with the arguments; returns its output, trimmed.</summary>
    public async Task<string> CliAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in (string[])["-p", Port.ToString(), .. arguments])
            info.ArgumentList.Add(argument);
        using Process process = Process.Start(info)!;
        string output = await process.StandardOutput.ReadToEndAsync().WithTimeout();
        await process.WaitForExitAsync().WithTimeout();
        return output.Trim();
    }

    /// <summary>How many relays are subscribed to each of the channels (PUBSUB NUMSUB).</summary>
    public async Task<long[]> SubscribersAsync(params string[] channels)
    {
        string[] lines = (await CliAsync(["PUBSUB", "NUMSUB", .. channels])).Split('\n');
        return [.. Enumerable.Range(0, channels.Length).Select(i => long.Parse(lines[2 * i + 1]))];
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still being written as the server died: the temp folder is cleaned up by the system.
        }
    }
}
