using System.Security.Cryptography;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>
/// A large static file goes out in chunks as it is read: intact, and without the relay holding it whole
/// (its resident memory, from /proc, does not grow by the file's size). The relay runs as a process.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class StaticFileStreamingTests
{
    private const int Size = 20 * 1024 * 1024;

    /// <summary>What the relay's memory may grow by while it serves the file: well under its size.</summary>
    private const long GrowthBound = 8L * 1024 * 1024;

    [Test, CancelAfter(60_000)]
    public async Task A_20_MB_file_is_served_intact_without_the_relay_holding_it_in_memory(CancellationToken ct)
    {
        string root = Directory.CreateTempSubdirectory("rr-static-large-").FullName;
        try
        {
            byte[] content = RandomNumberGenerator.GetBytes(Size);
            await File.WriteAllBytesAsync(Path.Combine(root, "large.png"), content, ct);
            await File.WriteAllTextAsync(Path.Combine(root, "small.txt"), "warm", ct);
            await using RelayProcess relay = await RelayProcess.StartOnLoopbackAsync(["--static", root], ct);

            // The first response brings the relay to its working size (under the JIT, the code it compiles).
            (await Get(relay.Port, "/small.txt", ct)).BodyText.Should().Be("warm");
            long before = relay.ResidentBytes;

            Task<HttpReply> download = Get(relay.Port, "/large.png", ct);
            long peak = await relay.PeakResidentBytesDuringAsync(download);
            HttpReply reply = await download;
            HttpReply head = await HttpReply.ExchangeAsync(relay.Port, "HEAD /large.png HTTP/1.1\r\nHost: x\r\n\r\n", ct);
            peak = Math.Max(peak, relay.ResidentBytes);

            reply.Status.Should().Be(200);
            reply.Header("Content-Type").Should().Be("image/png");
            reply.Header("Content-Length").Should().Be(Size.ToString());
            reply.Body.Length.Should().Be(Size);
            SHA256.HashData(reply.Body).Should().Equal(SHA256.HashData(content), "the file arrives intact");
            head.Header("Content-Length").Should().Be(Size.ToString());
            head.Body.Should().BeEmpty();
            TestContext.Out.WriteLine($"relay RSS {before >> 10} KiB before, peak {peak >> 10} KiB while serving {Size >> 20} MiB");
            (peak - before).Should().BeLessThan(GrowthBound, "the file is streamed in chunks, never held whole");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static Task<HttpReply> Get(int port, string path, CancellationToken ct) =>
        HttpReply.ExchangeAsync(port, $"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n", ct);
}
