using System.Net.Sockets;
using RawRelay.Diagnostics;

namespace RawRelay.Transport;

/// <summary>
/// The life of the control socket's file: a stale file left by a dead instance is replaced, a path on
/// which a live instance answers is refused, the mode is set before the first connection, and the file is
/// removed at exit. Thread-safe (static).
/// </summary>
internal static class ControlSocketFile
{
    public static Listener Listen(string path, UnixFileMode mode, RelayLog log)
    {
        RemoveStale(path);
        try
        {
            return Listener.Start(new UnixDomainSocketEndPoint(path), "control socket", log, () => File.SetUnixFileMode(path, mode));
        }
        catch (SocketException e)
        {
            throw new StartupException($"cannot listen on control socket {path}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"cannot set up control socket {path}: {e.Message}");
        }
    }

    public static void Remove(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done at exit; the next start replaces a stale file anyway.
        }
    }

    /// <summary>
    /// Replaces a socket file nobody answers on. What the path is comes from lstat(2), never from opening
    /// it: opening a FIFO would block until a writer came. Anything but a socket is left alone.
    /// </summary>
    private static void RemoveStale(string path)
    {
        UnixFileType type;
        try
        {
            type = UnixFiles.TypeOf(path);
        }
        catch (IOException e)
        {
            throw new StartupException($"cannot set up control socket {path}: {e.Message}");
        }

        if (type == UnixFileType.Missing)
            return;
        if (type != UnixFileType.Socket)
            throw new StartupException($"control path {path} exists and is not a socket");
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // Nobody listens: the file was left by an instance that died.
            File.Delete(path);
            return;
        }
        catch (SocketException e)
        {
            // Not refused (no permission, say): it may belong to a live instance, so it is left alone.
            throw new StartupException($"control socket {path} exists and cannot be probed: {e.Message}");
        }

        throw new StartupException($"control socket {path} is in use by a running instance");
    }
}
