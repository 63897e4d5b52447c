using System.Runtime.Versioning;

[assembly: SupportedOSPlatform("linux")]

// Fixtures run side by side (each has its own relay on its own port and socket); tests that load the
// machine mark themselves NonParallelizable.
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(4)]

// Every test fails when a relay it (or its fixture) started logged an ERROR line it did not expect.
[assembly: RawRelay.Tests.Infrastructure.CheckRelayLogs]
