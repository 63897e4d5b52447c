using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace RawRelay.Transport;

/// <summary>What a path names, as the S_IFMT bits of its mode say.</summary>
internal enum UnixFileType
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    Socket,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Other,
}

/// <summary>
/// The POSIX file calls .NET does not offer: the type of a path without opening it (opening a FIFO blocks
/// until a writer comes), a path with every symbolic link resolved, and an open(2) that neither blocks nor
/// follows a last symbolic link. Plain <c>[DllImport]</c>s of blittable signatures, so Native AOT binds
/// them at compile time. Linux only. Thread-safe (static).
/// </summary>
internal static class UnixFiles
{
    // statx(2) rather than lstat(2): glibc exports lstat and fstat as functions only since 2.33, and
    // struct stat differs between architectures, while struct statx has one layout everywhere (glibc 2.28).
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSizeField = 0x200;
    private const int StatxSize = 256;
    private const int StatxModeOffset = 28;     // __u16 stx_mode, after mask, blksize, attributes, nlink, uid, gid
    private const int StatxSizeOffset = 40;     // __u64 stx_size, after mode, a spare __u16 and __u64 stx_ino

    // open(2) flags. O_NOFOLLOW is one of the few whose value differs between architectures.
    private const int ORdOnly = 0;
    private const int ONonBlock = 0x800;        // 04000
    private const int OCloExec = 0x80000;       // 02000000
    private static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm or
        Architecture.Arm64 or Architecture.Ppc64le ? 0x8000 : 0x20000;   // 0100000 there, 0400000 elsewhere

    private const int SIfMt = 0xF000;           // S_IFMT  0170000
    private const int SIfSock = 0xC000;         // S_IFSOCK 0140000
    private const int SIfLnk = 0xA000;          // S_IFLNK 0120000
    private const int SIfReg = 0x8000;          // S_IFREG 0100000
    private const int SIfBlk = 0x6000;          // S_IFBLK 0060000
    private const int SIfDir = 0x4000;          // S_IFDIR 0040000
    private const int SIfChr = 0x2000;          // S_IFCHR 0020000
    private const int SIfIfo = 0x1000;          // S_IFIFO 0010000

    private const int ENoEnt = 2;
    private const int ENotDir = 20;

    /// <summary>
    /// The type of <paramref name="path"/> itself, as lstat(2) sees it: a symbolic link is
    /// <see cref="UnixFileType.SymbolicLink"/>, not what it points to. Nothing is opened.
    /// </summary>
    public static UnixFileType TypeOf(string path)
    {
        var buffer = new byte[StatxSize];
        if (statx(AtFdCwd, NulTerminated(path), AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is ENoEnt or ENotDir)
                return UnixFileType.Missing;
            throw new IOException($"cannot stat {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        return TypeOfMode(MemoryMarshal.Read<ushort>(buffer.AsSpan(StatxModeOffset)));
    }

    /// <summary>
    /// The size stat(2) gives <paramref name="path"/> (symbolic links followed), or null when it cannot be
    /// read. For <c>/proc/self/fd</c>, Linux 6.2 and later give the number of open descriptors, 0 before.
    /// </summary>
    public static long? SizeOf(string path)
    {
        var buffer = new byte[StatxSize];
        if (statx(AtFdCwd, NulTerminated(path), 0, StatxSizeField, buffer) != 0)
            return null;
        return (long)MemoryMarshal.Read<ulong>(buffer.AsSpan(StatxSizeOffset));
    }

    /// <summary>
    /// <paramref name="path"/> made absolute with every symbolic link, <c>.</c> and <c>..</c> resolved
    /// (realpath(3)); null when it, or a link on the way, does not exist or cannot be read.
    /// </summary>
    public static string? RealPath(string path)
    {
        IntPtr resolved = realpath(NulTerminated(path), IntPtr.Zero);
        if (resolved == IntPtr.Zero)
            return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading if it is a regular file, and only then; null otherwise (also
    /// when it is missing or not readable). The open never blocks (O_NONBLOCK: a FIFO opens at once, and is
    /// then refused) and never follows a symbolic link at the end of the path (O_NOFOLLOW). The file's type
    /// and size come from the open descriptor, so they are those of the file that was opened.
    /// </summary>
    public static SafeFileHandle? OpenRegularFile(string path, out long length)
    {
        length = 0;
        int fd = open(NulTerminated(path), ORdOnly | ONonBlock | OCloExec | ONoFollow);
        if (fd < 0)
            return null;
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var buffer = new byte[StatxSize];
        if (statx(fd, [0], AtEmptyPath, StatxType | StatxSizeField, buffer) != 0
            || TypeOfMode(MemoryMarshal.Read<ushort>(buffer.AsSpan(StatxModeOffset))) != UnixFileType.Regular)
        {
            handle.Dispose();
            return null;
        }

        length = (long)MemoryMarshal.Read<ulong>(buffer.AsSpan(StatxSizeOffset));
        return handle;
    }

    private static UnixFileType TypeOfMode(int mode) => (mode & SIfMt) switch
    {
        SIfReg => UnixFileType.Regular,
        SIfDir => UnixFileType.Directory,
        SIfLnk => UnixFileType.SymbolicLink,
        SIfSock => UnixFileType.Socket,
        SIfBlk => UnixFileType.BlockDevice,
        SIfChr => UnixFileType.CharacterDevice,
        SIfIfo => UnixFileType.Fifo,
        _ => UnixFileType.Other,
    };

    private static byte[] NulTerminated(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath(byte[] path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);

    // open(2) is variadic; called with its two fixed arguments only (no O_CREAT, so no mode), which every ABI
    // passes the same way as for a plain function.
    [DllImport("libc", SetLastError = true)]
    private static extern int open(byte[] path, int flags);
}
