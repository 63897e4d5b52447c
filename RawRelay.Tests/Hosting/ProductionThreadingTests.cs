using RawRelay.Hub;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Hosting;

/// <summary>
/// The tests run the relay in its production threading mode: socket continuations on the epoll threads
/// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, which the daemon's Main sets and
/// RawRelay.Tests.runsettings gives the test host), so that a continuation that blocks, or a test client
/// that relies on the thread pool's hop, shows here and not only in production.
/// </summary>
[TestFixture]
public sealed class ProductionThreadingTests
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    [Test]
    public void The_test_process_has_inline_socket_completions_from_its_start() =>
        Environment.GetEnvironmentVariable(InlineCompletions).Should().Be("1",
            "RawRelay.Tests.runsettings sets it (the csproj's RunSettingsFilePath), as the daemon's Main does");

    [Test, CancelAfter(10_000)]
    public async Task A_control_command_runs_on_a_socket_thread_not_on_the_thread_pool(CancellationToken ct)
    {
        // A connection of the test's own in the registry: SEND reaches its Deliver on the thread that runs
        // the control connection, which continues a socket receive (the accept and every read were
        // pending: nothing connects before the relay listens). On the thread pool that would be a pool
        // thread; inline, the socket engine's own thread.
        await using RelayFixture relay = RelayFixture.Start();
        var connection = new ThreadRecordingConnection("threads");
        relay.Registry.TryAdd(connection, limit: 10).Should().BeTrue();
        using ControlClient control = relay.OpenControl();
        for (int i = 0; i < 3; i++)
            (await control.CommandAsync("SEND MESSAGE threads hi", ct)).Should().Be("OK 1");

        connection.Threads.Should().HaveCount(3);
        connection.Threads.Should().OnlyContain(t => !t.IsThreadPoolThread,
            $"with {InlineCompletions}=1 socket continuations run on the epoll threads; they ran on: " +
            string.Join(", ", connection.Threads.Select(t => $"'{t.Name}' (pool: {t.IsThreadPoolThread})")));
        relay.Registry.Remove(connection);
    }

    /// <summary>Records the thread of each delivery; queues nothing.</summary>
    private sealed class ThreadRecordingConnection(string id) : Hub.FakeConnection(id, 1)
    {
        public List<(string? Name, bool IsThreadPoolThread)> Threads { get; } = [];

        public override DeliveryResult Deliver(Message message)
        {
            lock (Threads)
                Threads.Add((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));
            return DeliveryResult.Queued;
        }
    }
}
