using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Deploy;

/// <summary>
/// The relay run as deploy/rawrelay.service says: its ExecStart options (on an ephemeral port, its socket
/// in a folder of the test's), the unit's Group= as its group, umask 077, its socket in a 0750 directory
/// of that group (what RuntimeDirectory= makes). Its user stays root (the unit's rawrelay user does not
/// exist on a CI box, and root can run the executable wherever the checkout is), which grants a web server
/// nothing: only the group bits let it in. Dispose stops the relay and removes the directory.
/// </summary>
internal sealed class UnitRelay : IAsyncDisposable
{
    private readonly string _socketDirectory;
    private RelayProcess? _process;

    private UnitRelay(string socketDirectory) => _socketDirectory = socketDirectory;

    public int Port { get; private set; }

    public string ControlPath => Path.Combine(_socketDirectory, "rawrelay.sock");

    /// <summary>
    /// Starts the relay with the unit's options, then <paramref name="more"/>, and the settings of
    /// /etc/default/rawrelay (<paramref name="defaults"/>, as its EnvironmentFile= gives them), and waits
    /// until it listens.
    /// </summary>
    public static async Task<UnitRelay> StartAsync(string[] more, IReadOnlyDictionary<string, string>? defaults = null)
    {
        string group = DeployFiles.UnitSetting("Group");
        var relay = new UnitRelay($"/tmp/rr-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(relay._socketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
            await RunAsync("chgrp", group, relay._socketDirectory);
            List<string> arguments = RelayProcess.WithValue(
                RelayProcess.WithValue(DeployFiles.UnitArguments(), "--port", "0"), "--control", relay.ControlPath);
            relay._process = RelayProcess.Start([.. arguments, .. more], defaults,
                prefix: ["setpriv", $"--regid={group}", "--clear-groups", "/bin/sh", "-c", "umask 077 && exec \"$0\" \"$@\""]);
            relay.Port = await relay._process.WaitUntilListeningAsync();
            return relay;
        }
        catch
        {
            await relay.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
            await _process.DisposeAsync();
        if (Directory.Exists(_socketDirectory))
            Directory.Delete(_socketDirectory, recursive: true);
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        await using ChildProcess process = ChildProcess.Start([program], arguments);
        (await process.WaitForExitAsync()).Should().Be(0, process.Output);
    }
}
