using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// A server program of the deployment (Apache, nginx, php-fpm) run by the test in the foreground, with
/// configuration files of the test's own in a temporary folder that also takes its PID file and logs.
/// Dispose stops it with SIGTERM to its PID (its master process, which ends its workers) and removes the
/// folder. Thread-safe.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _name;
    private readonly string[] _logs;

    private ServerProcess(ChildProcess process, string name, string folder, string[] logs)
    {
        _process = process;
        _name = name;
        Folder = folder;
        _logs = logs;
    }

    public string Folder { get; }

    /// <summary>What it wrote to standard output and error, then its log files, for failure messages.</summary>
    public string Logs =>
        string.Join('\n', _logs.Where(File.Exists).Select(log => $"--- {log}:\n{File.ReadAllText(log)}")
            .Prepend($"--- {_name}'s output:\n{_process.Output}"));

    /// <summary>
    /// A new temporary folder others may search (mode 0755): the server's workers run as another user and
    /// reach sockets and files in it.
    /// </summary>
    public static string CreateFolder(string prefix)
    {
        DirectoryInfo folder = Directory.CreateTempSubdirectory(prefix);
        folder.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        return folder.FullName;
    }

    /// <summary>
    /// Runs <paramref name="command"/> and waits until <paramref name="isReady"/> holds; fails with its
    /// <see cref="Logs"/> if it exits first. The server owns <paramref name="folder"/> from here on, even
    /// when it fails to start. <paramref name="logs"/> are the log files it writes.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string folder, IReadOnlyList<string> command, IEnumerable<string> arguments,
        Func<Task<bool>> isReady, params string[] logs)
    {
        ChildProcess process;
        try
        {
            process = ChildProcess.Start(command, arguments);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }

        var server = new ServerProcess(process, Path.GetFileName(command[^1]), folder, logs);
        try
        {
            await TaskTimeouts.Eventually(async () =>
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"{server._name} exited:\n{server.Logs}");
                return await isReady();
            }, TimeSpan.FromSeconds(30));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
