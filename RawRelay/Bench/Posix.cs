using System.Runtime.InteropServices;

namespace RawRelay.Bench;

/// <summary>The one POSIX call .NET lacks here: a polite SIGTERM to a process we started. Thread-safe (static).</summary>
internal static partial class Posix
{
    private const int SigTerm = 15;

    /// <summary>Sends SIGTERM to <paramref name="pid"/>; false when it could not be delivered.</summary>
    public static bool Terminate(int pid) => Kill(pid, SigTerm) == 0;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
