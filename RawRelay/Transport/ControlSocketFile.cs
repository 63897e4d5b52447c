using System.Net.Sockets;
using RawRelay.Hosting;

namespace RawRelay.Transport;

/// <summary>
/// The life of the control socket's file: a stale file left by a dead instance is replaced, a path on
/// which a live instance answers is refused, the mode is set before the first connection, and the file is
/// removed at exit. Thread-safe (static).
/// </summary>
internal static class ControlSocketFile
{
    public static Listener Listen(string path, UnixFileMode mode)
    {
        if (File.Exists(path) || Directory.Exists(path))
            RemoveStale(path);
        try
        {
            return Listener.Start(new UnixDomainSocketEndPoint(path), 512, () => File.SetUnixFileMode(path, mode));
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

    private static void RemoveStale(string path)
    {
        if ((File.GetAttributes(path) & FileAttributes.Directory) != 0 || !IsSocket(path))
            throw new StartupException($"control path {path} exists and is not a socket");
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            // Nobody answers: the file was left by an instance that died.
            File.Delete(path);
            return;
        }

        throw new StartupException($"control socket {path} is in use by a running instance");
    }

    /// <summary>
    /// .NET does not expose the file type, but open(2) of a UNIX socket fails (ENXIO) where a regular
    /// file opens: enough to never delete a file that is not a socket.
    /// </summary>
    private static bool IsSocket(string path)
    {
        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
