using System.Runtime.InteropServices;
using RawRelay.Diagnostics;

namespace RawRelay.Hosting;

/// <summary>
/// What the relay does on each signal a service manager or an operator sends: SIGINT and SIGTERM stop it
/// in order (<see cref="Stopping"/>); SIGHUP, SIGUSR1 and SIGUSR2, whose default action would kill it
/// without closing anyone or removing the socket file, are logged and otherwise ignored, since there is
/// nothing to reload. Dispose restores the defaults. Thread-safe.
/// </summary>
internal sealed class RelaySignals : IDisposable
{
    // Raw numbers: PosixSignal names only the portable signals. These are Linux's (signal(7), x86 and ARM).
    private const PosixSignal SigUsr1 = (PosixSignal)10;
    private const PosixSignal SigUsr2 = (PosixSignal)12;

    private readonly RelayLog _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;

    public RelaySignals(RelayLog log)
    {
        _log = log;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, KeepRunning),
            PosixSignalRegistration.Create(SigUsr1, KeepRunning),
            PosixSignalRegistration.Create(SigUsr2, KeepRunning),
        ];
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Stopping => _stop.Token;

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;                  // we shut down ourselves, in order
        _log.Info($"received {Name(context.Signal)}");
        _stop.Cancel();
    }

    private void KeepRunning(PosixSignalContext context)
    {
        context.Cancel = true;                  // not the default action, which ends the process
        _log.Info($"received {Name(context.Signal)}: nothing to reload, still running");
    }

    private static string Name(PosixSignal signal) => signal switch
    {
        SigUsr1 => "SIGUSR1",
        SigUsr2 => "SIGUSR2",
        _ => signal.ToString(),
    };

    public void Dispose()
    {
        // _stop is left to the GC: it holds no timer, and a signal handled while this runs may still cancel it.
        foreach (PosixSignalRegistration registration in _registrations)
            registration.Dispose();
    }
}
