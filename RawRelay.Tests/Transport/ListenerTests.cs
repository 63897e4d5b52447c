using System.Net;
using System.Net.Sockets;
using RawRelay.Diagnostics;
using RawRelay.Tests.Infrastructure;
using RawRelay.Transport;

namespace RawRelay.Tests.Transport;

/// <summary>
/// The accept loop survives whatever accept(2) and the handlers throw, says so in the log, and returns only
/// when the relay stops. Accept is scripted through the listener's seam; the last tests use real sockets.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class ListenerTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(1);

    [Test, CancelAfter(10_000)]
    public async Task Accept_errors_that_are_not_transient_are_logged_and_accepting_goes_on(CancellationToken ct)
    {
        var script = new ScriptedAccept(
            Fail(SocketError.AccessDenied), Fail(SocketError.AccessDenied), Fail(new InvalidOperationException("odd")), Accept());
        using var log = new CapturedLog();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var handled = new HandledSockets();
        var listener = new Listener("test listener", log.Log, script.AcceptAsync, Quick);

        Task loop = listener.AcceptLoopAsync(handled.Handle, stop.Token);

        await handled.WaitForAsync(1).WithTimeout();
        loop.IsCompleted.Should().BeFalse("the loop goes on after accept errors");
        string[] lines = log.Lines;
        lines.Where(l => l.Contains(" ERROR accept on test listener failed")).Should().HaveCount(2, "each kind of error once: {0}", log.Text);
        lines.Should().Contain(l => l.Contains(" ERROR ") && l.Contains("AccessDenied"));
        lines.Should().Contain(l => l.Contains(" ERROR ") && l.Contains("odd"));
        lines.Should().ContainSingle(l => l.EndsWith(" INFO accepting on test listener again after 3 failed accept(s)"));

        stop.Cancel();
        await loop.WithTimeout();
    }

    [Test, CancelAfter(10_000)]
    public async Task Running_out_of_descriptors_is_one_warning_per_episode_and_an_info_when_it_ends(CancellationToken ct)
    {
        var script = new ScriptedAccept(
            Fail(SocketError.TooManyOpenSockets), Fail(SocketError.TooManyOpenSockets), Fail(SocketError.TooManyOpenSockets),
            Fail(SocketError.TooManyOpenSockets), Accept(), Accept(),
            Fail(SocketError.TooManyOpenSockets), Fail(SocketError.TooManyOpenSockets), Accept());
        using var log = new CapturedLog();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var handled = new HandledSockets();
        var listener = new Listener("test listener", log.Log, script.AcceptAsync, Quick);

        Task loop = listener.AcceptLoopAsync(handled.Handle, stop.Token);

        await handled.WaitForAsync(3).WithTimeout();
        string[] lines = log.Lines;
        lines.Where(l => l.Contains(" WARN ")).Should().HaveCount(2, "one warning per episode: {0}", log.Text)
            .And.AllSatisfy(l => l.Should().Contain("accept on test listener failed: out of file descriptors"));
        lines.Where(l => l.Contains(" INFO ")).Should().Equal(
            lines.Where(l => l.EndsWith(" INFO accepting on test listener again after 4 failed accept(s)")
                || l.EndsWith(" INFO accepting on test listener again after 2 failed accept(s)")));
        lines.Where(l => l.Contains(" INFO ")).Should().HaveCount(2);
        lines.Should().NotContain(l => l.Contains(" ERROR "));

        stop.Cancel();
        await loop.WithTimeout();
    }

    [Test, CancelAfter(10_000)]
    public async Task An_accept_error_as_the_relay_stops_ends_the_loop_without_an_exception(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var script = new ScriptedAccept(_ =>
        {
            stop.Cancel();                      // SIGTERM arrives while accept fails for want of descriptors
            throw new SocketException((int)SocketError.TooManyOpenSockets);
        });
        using var log = new CapturedLog();
        var listener = new Listener("test listener", log.Log, script.AcceptAsync, Quick);

        Task loop = listener.AcceptLoopAsync(new HandledSockets().Handle, stop.Token);

        await loop.WithTimeout();               // completes, not faulted or cancelled
    }

    [Test, CancelAfter(10_000)]
    public async Task Stopping_during_the_backoff_ends_the_loop_at_once(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var script = new ScriptedAccept(Fail(SocketError.AccessDenied));
        using var log = new CapturedLog();
        var listener = new Listener("test listener", log.Log, script.AcceptAsync, TimeSpan.FromMinutes(10));

        Task loop = listener.AcceptLoopAsync(new HandledSockets().Handle, stop.Token);
        await script.WaitForCallsAsync(1).WithTimeout();
        stop.Cancel();

        await loop.WithTimeout();
        script.Calls.Should().Be(1);
    }

    [Test, CancelAfter(10_000)]
    public async Task A_handler_that_throws_is_logged_as_an_error_and_accepting_goes_on(CancellationToken ct)
    {
        var script = new ScriptedAccept(Accept(), Accept(), Accept());
        using var log = new CapturedLog();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var served = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sockets = new List<Socket>();
        var listener = new Listener("test listener", log.Log, script.AcceptAsync, Quick);

        Task loop = listener.AcceptLoopAsync(socket =>
        {
            sockets.Add(socket);
            return sockets.Count switch
            {
                1 => throw new InvalidOperationException("thrown before the handler's first await"),
                2 => Task.FromException(new InvalidOperationException("thrown by the handler's task")),
                _ => Complete(served),
            };
        }, stop.Token);

        await served.Task.WithTimeout();
        await TaskTimeouts.Eventually(() => Task.FromResult(log.Lines.Count(l => l.Contains(" ERROR ")) == 2));
        log.Text.Should().Contain("ERROR connection on test listener failed unexpectedly: System.InvalidOperationException: thrown before the handler's first await")
            .And.Contain("ERROR connection on test listener failed unexpectedly: System.InvalidOperationException: thrown by the handler's task");
        sockets[0].SafeHandle.IsClosed.Should().BeTrue("the socket of a failed handler is closed");
        sockets[1].SafeHandle.IsClosed.Should().BeTrue();

        stop.Cancel();
        await loop.WithTimeout();
    }

    [TestCase(false, TestName = "Disposing a TCP listener ends its loop without an exception")]
    [TestCase(true, TestName = "Disposing a UNIX listener ends its loop without an exception")]
    [CancelAfter(10_000)]
    public async Task Disposing_a_listener_ends_its_loop(bool unix, CancellationToken ct)
    {
        string path = RelayFixture.TempSocketPath();
        EndPoint endPoint = unix ? new UnixDomainSocketEndPoint(path) : new IPEndPoint(IPAddress.Loopback, 0);
        using var log = new CapturedLog();
        var handled = new HandledSockets();
        using Listener listener = Listener.Start(endPoint, "test listener", log.Log);
        try
        {
            Task loop = listener.AcceptLoopAsync(handled.Handle, ct);
            using var client = new Socket(endPoint.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
            await client.ConnectAsync(listener.LocalEndPoint, ct);
            await handled.WaitForAsync(1).WithTimeout();

            listener.Dispose();

            await loop.WithTimeout();
            log.Lines.Should().NotContain(l => l.Contains(" ERROR ") || l.Contains(" WARN "));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Task Complete(TaskCompletionSource done)
    {
        done.TrySetResult();
        return Task.CompletedTask;
    }

    private static Func<CancellationToken, ValueTask<Socket>> Fail(SocketError error) => Fail(new SocketException((int)error));

    private static Func<CancellationToken, ValueTask<Socket>> Fail(Exception exception) => _ => ValueTask.FromException<Socket>(exception);

    private static Func<CancellationToken, ValueTask<Socket>> Accept() =>
        _ => ValueTask.FromResult(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));

    /// <summary>Answers each accept call with the next step; past the last, waits for cancellation.</summary>
    private sealed class ScriptedAccept(params Func<CancellationToken, ValueTask<Socket>>[] steps)
    {
        private readonly Queue<Func<CancellationToken, ValueTask<Socket>>> _steps = new(steps);
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;
        private int _awaitedCalls = int.MaxValue;

        public int Calls => Volatile.Read(ref _calls);

        public Task WaitForCallsAsync(int calls)
        {
            _awaitedCalls = calls;
            if (Calls >= calls)
                _done.TrySetResult();
            return _done.Task;
        }

        public async ValueTask<Socket> AcceptAsync(CancellationToken ct)
        {
            if (Interlocked.Increment(ref _calls) >= _awaitedCalls)
                _done.TrySetResult();
            Func<CancellationToken, ValueTask<Socket>>? step;
            lock (_steps)
                _steps.TryDequeue(out step);
            if (step is not null)
                return await step(ct);
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>A handler that records the sockets it is given and lets a test wait for a count of them.</summary>
    private sealed class HandledSockets
    {
        private readonly List<Socket> _sockets = [];

        public Task Handle(Socket socket)
        {
            lock (_sockets)
                _sockets.Add(socket);
            return Task.CompletedTask;
        }

        public Task WaitForAsync(int count) => TaskTimeouts.Eventually(() =>
        {
            lock (_sockets)
                return Task.FromResult(_sockets.Count >= count);
        });
    }

    /// <summary>A debug-level log into memory.</summary>
    private sealed class CapturedLog : IDisposable
    {
        private readonly StringWriter _text = new();
        private readonly TextWriter _writer;    // synchronized: its writes lock on it, and so does reading the text

        public CapturedLog()
        {
            _writer = TextWriter.Synchronized(_text);
            Log = new RelayLog(_writer, LogLevel.Debug);
        }

        public RelayLog Log { get; }

        public string Text
        {
            get
            {
                Log.Flush();
                lock (_writer)
                    return _text.ToString();
            }
        }

        public string[] Lines => Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        public void Dispose() => Log.Dispose();
    }
}
