using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// The real binary (<c>dotnet rawrelay.dll</c> from the test output folder) as a child process, with its
/// standard output and error captured. Dispose kills it if it still runs. Thread-safe for reading output.
/// </summary>
internal sealed partial class RelayProcess : IAsyncDisposable
{
    private const int Sigterm = 15;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RelayProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Starts <c>rawrelay</c> with the arguments; the environment gets no RAWRELAY_ settings.</summary>
    public static RelayProcess Start(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rawrelay.dll"));
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (string name in info.Environment.Keys.Where(k => k.StartsWith("RAWRELAY_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var relay = new RelayProcess(process);
        process.OutputDataReceived += (_, e) => relay.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (relay._stderr) relay._stderr.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return relay;
    }

    /// <summary>Waits for the "listening on" log line; returns the TCP port it names.</summary>
    public Task<int> WaitUntilListeningAsync(CancellationToken ct = default) =>
        Task.WhenAny(_listening.Task, ExitedEarlyAsync(ct)).Unwrap().WithTimeout(TimeSpan.FromSeconds(30));

    /// <summary>Waits for the process to end; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken ct = default)
    {
        await _process.WaitForExitAsync(ct).WithTimeout(TimeSpan.FromSeconds(30)); // output read to its end too
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, as a service manager stops it.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, Sigterm) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>SIGKILL: the process dies without cleaning up (a crash, an OOM kill).</summary>
    public void Kill() => _process.Kill();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().WithTimeout();
        }

        _process.Dispose();
    }

    private void OnStdout(string? line)
    {
        if (line is null)
            return;
        lock (_stdout)
            _stdout.AppendLine(line);
        Match match = ListeningLine().Match(line);
        if (match.Success)
            _listening.TrySetResult(int.Parse(match.Groups[1].Value));
    }

    private async Task<int> ExitedEarlyAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct);     // returns once the redirected output is read to its end
        if (_listening.Task.IsCompletedSuccessfully)
            return _listening.Task.Result;
        throw new InvalidOperationException($"rawrelay exited with {_process.ExitCode} before listening: {Stderr}");
    }

    [GeneratedRegex(@" INFO listening on \S*:(\d+) ")]
    private static partial Regex ListeningLine();

    // LibraryImport would need unsafe code in the test project; this one call does not justify that.
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
