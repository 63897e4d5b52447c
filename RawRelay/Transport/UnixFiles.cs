using System.Runtime.InteropServices;
using System.Text;

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
}

/// <summary>
/// The POSIX file calls .NET does not offer: the type of a path without opening it (opening a FIFO blocks
/// until a writer comes). Plain <c>[DllImport]</c>s of blittable signatures, so Native AOT binds them at
/// compile time. Linux only. Thread-safe (static).
/// </summary>
internal static class UnixFiles
{
    // statx(2) rather than lstat(2): glibc exports lstat and fstat as functions only since 2.33, and
    // struct stat differs between architectures, while struct statx has one layout everywhere (glibc 2.28).
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int StatxSize = 256;
    private const int StatxModeOffset = 28;     // __u16 stx_mode, after mask, blksize, attributes, nlink, uid, gid

    private const int SIfMt = 0xF000;           // S_IFMT  0170000
    private const int SIfSock = 0xC000;         // S_IFSOCK 0140000
    private const int SIfLnk = 0xA000;          // S_IFLNK 0120000
    private const int SIfReg = 0x8000;          // S_IFREG 0100000
    private const int SIfBlk = 0x6000;          // S_IFBLK 0060000
    private const int SIfDir = 0x4000;          // S_IFDIR 0040000
    private const int SIfChr = 0x2000;          // S_IFCHR 0020000

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

    private static UnixFileType TypeOfMode(int mode) => (mode & SIfMt) switch
    {
        SIfReg => UnixFileType.Regular,
        SIfDir => UnixFileType.Directory,
        SIfLnk => UnixFileType.SymbolicLink,
        SIfSock => UnixFileType.Socket,
        SIfBlk => UnixFileType.BlockDevice,
        SIfChr => UnixFileType.CharacterDevice,
        _ => UnixFileType.Fifo,
    };

    private static byte[] NulTerminated(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);
}
