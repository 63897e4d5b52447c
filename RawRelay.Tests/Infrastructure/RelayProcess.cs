using System.Diagnostics;
using System.Globalization;
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

    /// <summary>Standard output, then standard error.</summary>
    public string Output => Stdout + Stderr;

    public bool HasExited => _process.HasExited;

    /// <summary>The TCP port, once started by <see cref="StartOnLoopbackAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>The control socket path, once started by <see cref="StartOnLoopbackAsync"/>.</summary>
    public string ControlPath { get; private set; } = "";

    /// <summary>The relay's resident set size now, from /proc/PID/status (VmRSS).</summary>
    public long ResidentBytes
    {
        get
        {
            foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }

            throw new InvalidOperationException($"no VmRSS in /proc/{Pid}/status");
        }
    }

    /// <summary>
    /// Starts the relay on 127.0.0.1, port 0 and a fresh /tmp/rr-GUID.sock, with <paramref name="arguments"/>
    /// after those, and waits until it listens.
    /// </summary>
    public static async Task<RelayProcess> StartOnLoopbackAsync(string[] arguments, CancellationToken ct)
    {
        string controlPath = RelayFixture.TempSocketPath();
        RelayProcess relay = Start(["--bind", "127.0.0.1", "--port", "0", "--control", controlPath, .. arguments]);
        try
        {
            relay.Port = await relay.WaitUntilListeningAsync(ct);
            relay.ControlPath = controlPath;
            return relay;
        }
        catch
        {
            await relay.DisposeAsync();
            throw;
        }
    }

    public ControlClient OpenControl() => ControlClient.Connect(ControlPath);

    /// <summary>Polls VmRSS while <paramref name="work"/> runs; returns the highest value seen, in bytes.</summary>
    public async Task<long> PeakResidentBytesDuringAsync(Task work)
    {
        long peak = ResidentBytes;
        while (!work.IsCompleted)
        {
            await Task.WhenAny(work, Task.Delay(TimeSpan.FromMilliseconds(20)));
            peak = Math.Max(peak, ResidentBytes);
        }

        await work;
        return peak;
    }

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
