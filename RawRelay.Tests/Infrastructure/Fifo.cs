using System.Runtime.InteropServices;

namespace RawRelay.Tests.Infrastructure;

/// <summary>Named pipes (FIFOs) for tests of paths that must never be opened. Thread-safe (static).</summary>
internal static class Fifo
{
    /// <summary>Creates a FIFO at <paramref name="path"/> with mode 0600.</summary>
    public static void Create(string path)
    {
        if (mkfifo(path, 0b110_000_000) != 0)
            throw new IOException($"mkfifo({path}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    // LibraryImport would need unsafe code in the test project; this one call does not justify that.
    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);
}
