using System.Globalization;
using System.Text.RegularExpressions;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// The real executable as a child process, with its standard output and error captured: the published
/// Native AOT binary when <c>RAWRELAY_BINARY</c> names it (CI, after <c>make publish</c>), else
/// <c>dotnet rawrelay.dll</c> from the test output folder. It inherits no RAWRELAY_ settings. Dispose
/// stops it with SIGTERM if it still runs. A test fails when the relay writes an ERROR line it did not
/// declare with <see cref="ExpectErrors"/> (see <see cref="ErrorLog"/>). Thread-safe for reading output.
/// </summary>
internal sealed partial class RelayProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly ErrorLog _errors;

    private RelayProcess(ChildProcess process)
    {
        _process = process;
        _errors = ErrorLog.Watch(() => process.Output + "\n", $"the relay process {process.Pid}");
    }

    /// <summary>
    /// The program and first arguments that run the relay: <c>$RAWRELAY_BINARY</c> (a relative path is the
    /// repository's, as in <c>RAWRELAY_BINARY=publish/rawrelay make test</c>) or <c>dotnet rawrelay.dll</c>.
    /// </summary>
    public static IReadOnlyList<string> Command =>
        Environment.GetEnvironmentVariable("RAWRELAY_BINARY") is { Length: > 0 } binary
            ? [Path.GetFullPath(binary, TestEnvironment.RepositoryRoot())]
            : ["dotnet", Path.Combine(AppContext.BaseDirectory, "rawrelay.dll")];

    /// <summary>True when the tests run the published native executable (RAWRELAY_BINARY), not the JIT build.</summary>
    public static bool IsNative => Environment.GetEnvironmentVariable("RAWRELAY_BINARY") is { Length: > 0 };

    public int Pid => _process.Pid;

    public string Stdout => _process.Stdout;

    public string Stderr => _process.Stderr;

    /// <summary>Standard output and error interleaved, for failure messages.</summary>
    public string Output => _process.Output;

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

    /// <summary>Starts <c>rawrelay</c> with the arguments.</summary>
    public static RelayProcess Start(params string[] arguments) => Start(arguments, null);

    /// <summary>
    /// Starts the relay on 127.0.0.1, port 0 and a fresh /tmp/rr-GUID.sock, with <paramref name="more"/>
    /// after those, and waits until it listens. <paramref name="environment"/> and <paramref name="prefix"/>
    /// are as for <see cref="Start(IReadOnlyList{string}, IReadOnlyDictionary{string, string}?, IReadOnlyList{string}?)"/>.
    /// </summary>
    public static async Task<RelayProcess> StartOnLoopbackAsync(string[] more, CancellationToken ct,
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? prefix = null)
    {
        string controlPath = RelayFixture.TempSocketPath();
        RelayProcess relay = Start([.. LoopbackArguments(controlPath, more)], environment, prefix);
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

    /// <summary>
    /// Starts <c>rawrelay</c> with the arguments and the <paramref name="environment"/>'s variables.
    /// <paramref name="prefix"/> runs it through other programs first that exec it in the end (its PID
    /// stays the relay's), such as <c>setpriv</c> to change its group.
    /// </summary>
    public static RelayProcess Start(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment,
        IReadOnlyList<string>? prefix = null) =>
        new(ChildProcess.Start([.. prefix ?? [], .. Command], arguments, environment, clearPrefix: "RAWRELAY_"));

    /// <summary>
    /// Arguments for a relay on 127.0.0.1 and an ephemeral port with <paramref name="controlPath"/>,
    /// then <paramref name="more"/>.
    /// </summary>
    public static List<string> LoopbackArguments(string controlPath, params string[] more) =>
        ["--bind", "127.0.0.1", "--port", "0", "--control", controlPath, .. more];

    /// <summary>A copy of <paramref name="arguments"/> with the value after <paramref name="option"/> replaced.</summary>
    public static List<string> WithValue(IEnumerable<string> arguments, string option, string value)
    {
        List<string> copy = arguments.ToList();
        int at = copy.IndexOf(option);
        if (at < 0 || at + 1 >= copy.Count)
            throw new ArgumentException($"{option} with a value is not among: {string.Join(' ', copy)}");
        copy[at + 1] = value;
        return copy;
    }

    /// <summary>Waits for the "listening on" log line; returns the TCP port it names.</summary>
    public async Task<int> WaitUntilListeningAsync(CancellationToken ct = default)
    {
        string line = await _process.WaitForLineAsync(ListeningLine().IsMatch).WaitAsync(ct).WithTimeout(TimeSpan.FromSeconds(30));
        return int.Parse(ListeningLine().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The first line of standard output or error (already written or still to come) that matches.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match) => _process.WaitForLineAsync(match);

    /// <summary>How many lines of standard output so far match.</summary>
    public int CountLines(Func<string, bool> match) => Stdout.Split('\n').Count(match);

    /// <summary>The relay's open file descriptors now, from /proc/PID/fd.</summary>
    public int OpenDescriptors => Directory.GetFileSystemEntries($"/proc/{Pid}/fd").Length;

    /// <summary>Waits for the process to end; returns its exit code.</summary>
    public Task<int> WaitForExitAsync(CancellationToken ct = default) => _process.WaitForExitAsync(ct);

    /// <summary>SIGTERM, as a service manager stops it.</summary>
    public void Terminate() => _process.Terminate();

    /// <summary>Sends the signal of that number (Linux's: 1 SIGHUP, 10 SIGUSR1, 12 SIGUSR2).</summary>
    public void Signal(int signal) => _process.Signal(signal);

    /// <summary>SIGKILL: the process dies without cleaning up (a crash, an OOM kill).</summary>
    public void Kill() => _process.Kill();

    /// <summary>ERROR lines matching <paramref name="pattern"/> are expected from now on and do not fail the test.</summary>
    public RelayProcess ExpectErrors(Regex pattern)
    {
        _errors.Expect(pattern);
        return this;
    }

    /// <summary>As <see cref="ExpectErrors(Regex)"/>, with a regular expression in a string.</summary>
    public RelayProcess ExpectErrors(string pattern) => ExpectErrors(new Regex(pattern));

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            _errors.Close();
        }
    }

    [GeneratedRegex(@" INFO listening on \S*:(\d+) ")]
    private static partial Regex ListeningLine();
}
