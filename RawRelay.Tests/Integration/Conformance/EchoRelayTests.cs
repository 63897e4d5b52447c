using System.Runtime.CompilerServices;
using RawRelay.Diagnostics;
using RawRelay.Hosting;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Conformance;

/// <summary>
/// Base of the conformance fixtures: one relay with <c>--echo</c> per fixture, a fresh connection per case,
/// and the checks every case shares: the exact bytes of an echoed frame, of a pong, of a close.
/// </summary>
public abstract class EchoRelayTests
{
    private int _next;

    private protected RelayFixture Relay { get; private set; } = null!;

    /// <summary>Options of this fixture's relay beyond <c>--echo</c>.</summary>
    private protected virtual RelayOptions Configure(RelayOptions options) => options;

    [OneTimeSetUp]
    public void StartRelay() => Relay = RelayFixture.Start(o => Configure(o with { Echo = true, LogLevel = LogLevel.Info }));

    [OneTimeTearDown]
    public async Task StopRelay() => await Relay.DisposeAsync();

    /// <summary>A new connection with an id of its own.</summary>
    private protected Task<RawWebSocketClient> ConnectAsync(CancellationToken ct) =>
        Relay.ConnectAsync($"{GetType().Name}-{Interlocked.Increment(ref _next)}", ct);

    /// <summary>Connects, sends the bytes in one write, and expects a close with the code and then the end of the TCP connection.</summary>
    private protected async Task ExpectFailureAsync(byte[] bytes, int code, CancellationToken ct,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout(file: file, line: line);
        await client.SendAsync(bytes, ct).WithTimeout(file: file, line: line);
        (await client.ExpectClosedWithAsync(code, ct, file, line)).Wire.Should().Equal(ServerFrames.Close(code));
    }

    /// <summary>The next frame must be exactly the server frame for this opcode and payload.</summary>
    private protected static async Task ExpectFrameAsync(RawWebSocketClient client, int opcode, byte[] payload, CancellationToken ct,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        WsFrame frame = await client.ReceiveFrameAsync(ct).WithTimeout(file: file, line: line);
        frame.Opcode.Should().Be(opcode, "frame {0} at line {1}", frame, line);
        frame.Wire.Length.Should().Be(ServerFrames.Expected(opcode, payload).Length, "frame {0} at line {1}", frame, line);
        frame.Wire.AsSpan().SequenceEqual(ServerFrames.Expected(opcode, payload)).Should().BeTrue("the frame at line {0} must be FIN, unmasked, shortest length, same payload", line);
    }

    /// <summary>Closes cleanly and expects the same code back and the TCP connection to end.</summary>
    private protected static async Task CloseCleanlyAsync(RawWebSocketClient client, CancellationToken ct,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        await client.SendAsync(ClientFrames.Close(1000), ct).WithTimeout(file: file, line: line);
        await client.ExpectClosedWithAsync(1000, ct, file, line);
    }

    /// <summary>Deterministic bytes of every value.</summary>
    private protected static byte[] BinaryPayload(int length) =>
        Enumerable.Range(0, length).Select(i => (byte)(i * 131 + (i >> 8))).ToArray();

    /// <summary>Valid UTF-8 of exactly <paramref name="length"/> bytes, mixing 1- to 4-byte characters.</summary>
    private protected static byte[] TextPayload(int length)
    {
        byte[] pattern = "aé€😀"u8.ToArray();                 // 1 + 2 + 3 + 4 bytes
        var bytes = new byte[length];
        int at = 0;
        while (length - at >= pattern.Length)
        {
            pattern.CopyTo(bytes, at);
            at += pattern.Length;
        }

        bytes.AsSpan(at).Fill((byte)'z');
        return bytes;
    }
}
