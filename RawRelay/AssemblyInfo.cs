using System.Runtime.Versioning;

// RawRelay is a Linux daemon: UNIX-domain control socket, file modes, POSIX signals.
[assembly: SupportedOSPlatform("linux")]
