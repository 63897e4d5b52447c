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

    /// <summary>
    /// Lets a reader that is stuck opening the FIFO go on: opens it for writing without blocking (which fails
    /// with ENXIO when nobody is reading) and closes it again.
    /// </summary>
    public static void ReleaseReaders(string path)
    {
        const int OWriteOnly = 1, ONonBlock = 0x800;
        int fd = open(path, OWriteOnly | ONonBlock);
        if (fd >= 0)
            close(fd);
    }

    // LibraryImport would need unsafe code in the test project; these calls do not justify that.
    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc")]
    private static extern int close(int fd);
}
