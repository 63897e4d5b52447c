using System.Net.Sockets;
using RawRelay.Diagnostics;

namespace RawRelay.Transport;

/// <summary>
/// What one accept loop says about a run of failed accepts (an episode): the first failure of each kind
/// once (running out of file descriptors as a warning, anything else as an error), repeats at debug level
/// only, and when an accept works again, one line with how many failed. Not thread-safe: one per loop.
/// </summary>
internal sealed class AcceptFailures(string listener, RelayLog log)
{
    private readonly HashSet<string> _kindsLogged = [];
    private long _failed;

    public void Failed(Exception e)
    {
        _failed++;
        string kind = e is SocketException socket ? socket.SocketErrorCode.ToString() : e.GetType().FullName!;
        if (!_kindsLogged.Add(kind))
        {
            log.Debug($"accept on {listener} failed again ({_failed} in a row): {e.Message}");
            return;
        }

        if (e is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets })
        {
            // EMFILE or ENFILE. New connections wait in the listen backlog (or are refused once it is full)
            // until a connection closes and frees a descriptor.
            log.Warn($"accept on {listener} failed: out of file descriptors (EMFILE/ENFILE); new connections " +
                "wait until some close (raise the open-file limit: ulimit -n, or LimitNOFILE= in the unit)");
        }
        else if (e is SocketException other)
        {
            log.Error($"accept on {listener} failed: {other.Message} ({other.SocketErrorCode}); retrying");
        }
        else
        {
            log.Error($"accept on {listener} failed unexpectedly; retrying", e);
        }
    }

    public void Succeeded()
    {
        if (_failed == 0)
            return;
        log.Info($"accepting on {listener} again after {_failed} failed accept(s)");
        _failed = 0;
        _kindsLogged.Clear();
    }
}
