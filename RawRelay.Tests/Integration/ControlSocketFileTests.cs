using System.Net.Sockets;
using RawRelay.Hosting;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>The life of the control socket's file: mode, stale file, live instance, removal at exit.</summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ControlSocketFileTests
{
    private const UnixFileMode Mode660 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    [Test, CancelAfter(10_000)]
    public async Task The_socket_gets_mode_660_by_default()
    {
        await using RelayFixture relay = RelayFixture.Start();

        File.GetUnixFileMode(relay.ControlPath).Should().Be(Mode660);
    }

    [TestCase("600", UnixFileMode.UserRead | UnixFileMode.UserWrite)]
    [TestCase("666", Mode660 | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)]
    public async Task Control_mode_sets_the_socket_mode_whatever_the_umask(string octal, UnixFileMode expected)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { ControlMode = (UnixFileMode)Convert.ToInt32(octal, 8) });

        File.GetUnixFileMode(relay.ControlPath).Should().Be(expected);
    }

    [Test, CancelAfter(60_000)]
    public async Task Control_mode_on_the_command_line_sets_the_mode_and_SIGTERM_removes_the_file(CancellationToken ct)
    {
        string path = RelayFixture.TempSocketPath();
        await using RelayProcess relay = RelayProcess.Start("--port", "0", "--bind", "127.0.0.1", "--control", path, "--control-mode", "640");
        await relay.WaitUntilListeningAsync(ct);
        File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        relay.Terminate();

        (await relay.WaitForExitAsync(ct)).Should().Be(0);
        File.Exists(path).Should().BeFalse("a clean shutdown removes the socket file");
    }

    [Test, CancelAfter(60_000)]
    public async Task A_stale_file_left_by_a_killed_instance_is_replaced(CancellationToken ct)
    {
        string path = RelayFixture.TempSocketPath();
        await using (RelayProcess crashed = RelayProcess.Start("--port", "0", "--bind", "127.0.0.1", "--control", path))
        {
            await crashed.WaitUntilListeningAsync(ct);
            crashed.Kill();
            await crashed.WaitForExitAsync(ct);
        }

        File.Exists(path).Should().BeTrue("SIGKILL leaves the socket file behind");

        await using RelayFixture relay = RelayFixture.Start(o => o with { Control = path });
        (await relay.Control.CommandAsync("SEND MESSAGE nobody x", ct)).Should().Be("OK 0");
    }

    [Test, CancelAfter(10_000)]
    public async Task A_second_instance_on_a_live_socket_fails_to_start_and_leaves_the_first_intact(CancellationToken ct)
    {
        await using RelayFixture first = RelayFixture.Start();

        Action second = () => RelayFixture.Start(o => o with { Control = first.ControlPath });

        second.Should().Throw<StartupException>().WithMessage($"control socket {first.ControlPath} is in use by a running instance");
        File.Exists(first.ControlPath).Should().BeTrue();
        using ControlClient control = first.OpenControl();
        (await control.CommandAsync("SEND MESSAGE nobody x", ct)).Should().Be("OK 0");
    }

    [Test, CancelAfter(60_000)]
    public async Task A_second_process_on_a_live_socket_exits_1_with_one_clear_line(CancellationToken ct)
    {
        await using RelayFixture first = RelayFixture.Start();

        await using RelayProcess second = RelayProcess.Start("--port", "0", "--bind", "127.0.0.1", "--control", first.ControlPath);

        (await second.WaitForExitAsync(ct)).Should().Be(1);
        second.Stderr.Should().Be($"rawrelay: control socket {first.ControlPath} is in use by a running instance\n");
        using ControlClient control = first.OpenControl();
        (await control.CommandAsync("SEND MESSAGE nobody x", ct)).Should().Be("OK 0", "the first instance still serves");
    }

    [Test, CancelAfter(10_000)]
    public async Task The_file_is_gone_after_shutdown()
    {
        RelayFixture relay = RelayFixture.Start();
        File.Exists(relay.ControlPath).Should().BeTrue();

        await relay.DisposeAsync();

        File.Exists(relay.ControlPath).Should().BeFalse();
        new Action(() => ControlClient.Connect(relay.ControlPath)).Should().Throw<SocketException>();
    }

    [Test]
    public void A_regular_file_at_the_path_is_refused_and_kept()
    {
        string path = RelayFixture.TempSocketPath();
        File.WriteAllText(path, "precious");
        try
        {
            Action start = () => RelayFixture.Start(o => o with { Control = path });

            start.Should().Throw<StartupException>().WithMessage($"control path {path} exists and is not a socket");
            File.ReadAllText(path).Should().Be("precious");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task A_fifo_at_the_path_makes_the_process_exit_1_at_once_and_is_kept(CancellationToken ct)
    {
        // Opening a FIFO blocks until a writer comes: the relay must find out what the path is without opening it.
        string path = RelayFixture.TempSocketPath();
        Fifo.Create(path);
        try
        {
            await using RelayProcess relay = RelayProcess.Start(RelayProcess.LoopbackArguments(path), null);

            (await relay.WaitForExitAsync(ct).WithTimeout(TimeSpan.FromSeconds(20))).Should().Be(1, relay.Output);
            relay.Stderr.Should().Be($"rawrelay: control path {path} exists and is not a socket\n");
            File.Exists(path).Should().BeTrue("a path that is not a socket is never deleted");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void A_symbolic_link_at_the_path_is_refused_and_kept()
    {
        string path = RelayFixture.TempSocketPath();
        string target = path + ".target";
        File.WriteAllText(target, "precious");
        File.CreateSymbolicLink(path, target);
        try
        {
            Action start = () => RelayFixture.Start(o => o with { Control = path });

            start.Should().Throw<StartupException>().WithMessage($"control path {path} exists and is not a socket");
            File.ReadAllText(target).Should().Be("precious");
            new FileInfo(path).LinkTarget.Should().Be(target);
        }
        finally
        {
            File.Delete(path);
            File.Delete(target);
        }
    }

    [Test]
    public void A_directory_at_the_path_is_refused_and_kept()
    {
        string path = RelayFixture.TempSocketPath();
        Directory.CreateDirectory(path);
        try
        {
            Action start = () => RelayFixture.Start(o => o with { Control = path });

            start.Should().Throw<StartupException>().WithMessage($"control path {path} exists and is not a socket");
            Directory.Exists(path).Should().BeTrue();
        }
        finally
        {
            Directory.Delete(path);
        }
    }
}
