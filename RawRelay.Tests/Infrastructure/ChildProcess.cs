using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// A program a test starts as a child process, its standard output and error captured line by line (for
/// waiting on a line and for failure messages). Stopped by SIGTERM to its own PID, as systemd would;
/// Dispose kills it with its descendants only if it ignores that. Thread-safe.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private int _openStreams = 2;

    private ChildProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_gate)
                return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
                return _stderr.ToString();
        }
    }

    /// <summary>Everything the process wrote so far, standard output and error interleaved, one line each.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
                return string.Join('\n', _lines);
        }
    }

    /// <summary>
    /// Starts <paramref name="command"/> (the program, then its first arguments) with <paramref name="arguments"/>
    /// after it. <paramref name="environment"/> adds variables; those starting with
    /// <paramref name="clearPrefix"/> are first removed from the inherited environment.
    /// </summary>
    public static ChildProcess Start(IReadOnlyList<string> command, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null, string? clearPrefix = null)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in command.Skip(1).Concat(arguments))
            info.ArgumentList.Add(argument);
        if (clearPrefix is not null)
        {
            foreach (string name in info.Environment.Keys.Where(k => k.StartsWith(clearPrefix, StringComparison.Ordinal)).ToList())
                info.Environment.Remove(name);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, child._stdout);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, child._stderr);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The first line (already written or still to come) that matches; fails if the process ends first.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        lock (_gate)
        {
            if (_lines.FirstOrDefault(match) is { } line)
                return Task.FromResult(line);
            if (_openStreams == 0)
                return Task.FromException<string>(Ended());
            var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, found));
            return found.Task;
        }
    }

    /// <summary>SIGTERM, as a service manager stops a process.</summary>
    public void Terminate() => Signal(SigTerm);

    /// <summary>Sends the signal of that number (Linux's: 1 SIGHUP, 10 SIGUSR1, 12 SIGUSR2, 15 SIGTERM) to the process.</summary>
    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0 && !_process.HasExited)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>SIGKILL: the process dies without cleaning up (a crash, an OOM kill).</summary>
    public void Kill() => _process.Kill();

    /// <summary>The exit status once the process has ended, with its output read to the end.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken ct = default)
    {
        await _process.WaitForExitAsync(ct).WithTimeout(TimeSpan.FromSeconds(30));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                Terminate();
                await WaitForExitAsync();
            }
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WithTimeout();
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnLine(string? line, StringBuilder stream)
    {
        lock (_gate)
        {
            if (line is null)
            {
                if (--_openStreams == 0)
                {
                    foreach ((_, TaskCompletionSource<string> found) in _waiters)
                        found.TrySetException(Ended());
                    _waiters.Clear();
                }

                return;
            }

            stream.AppendLine(line);
            _lines.Add(line);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    _waiters[i].Found.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private InvalidOperationException Ended() =>
        new($"{_process.StartInfo.FileName} ended before the line awaited; its output:\n{string.Join('\n', _lines)}");

    // LibraryImport would need unsafe code in the test project; this one call does not justify that.
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
