using System.Text;
using RawRelay.Diagnostics;
using RawRelay.Tests.Infrastructure;
using RawRelay.WebSockets;

namespace RawRelay.Tests.Fuzz;

/// <summary>
/// Random and mutated client byte streams, judged by <see cref="WebSocketStreamModel"/> (a reference written
/// from the SPEC and RFC 6455, sharing no code with the relay): directly into the frame decoder (every split
/// of a stream gives the same answer, which is the model's; nothing is allocated) and over a socket to a
/// relay with <c>--echo</c> (it sends exactly the model's pongs and echoed messages, then the model's close
/// code, then closes).
/// </summary>
[TestFixture, NonParallelizable]
public sealed class FrameDecoderFuzzTests
{
    private const string Fuzzer = "frame-decoder";
    private const int MaxMessage = 1024;
    private static readonly int[] InterestingCodes = [0, 999, 1000, 1001, 1004, 1005, 1006, 1007, 1011, 1014, 1015, 1016, 2999, 3000, 4999, 5000, 65535];

    [Test, CancelAfter(300_000)]
    public async Task Random_streams_decode_the_same_in_any_split_to_the_model_outcome_without_allocating(CancellationToken ct)
    {
        var tally = new Dictionary<string, int>();
        await Fuzzing.RunAsync(Fuzzer, Fuzzing.Seeds(Fuzzer, LoadSize.FuzzCases), seed =>
        {
            var random = new Random(seed);
            byte[] input = Stream(random);
            Outcome whole = Decode(input, [input.Length]);
            Outcome split = Decode(input, Fuzzing.Splits(random, input.Length));
            // Payload of a text message that later fails is handed over as far as it was valid when it
            // arrived, so only how much of it came may depend on the split.
            if (whole.Status == DecodeStatus.Failed)
                split = split with { DataBytes = whole.DataBytes };
            split.Should().Be(whole, "the decoder's answer does not depend on how the bytes arrive");
            CheckSpecified(whole);
            if (Completed(input) is { } completed)
            {
                Outcome decoded = Decode(completed.Stream, [completed.Stream.Length]);
                StreamVerdict model = completed.Verdict;
                string because = $"the model's verdict on {Convert.ToHexString(completed.Stream[..Math.Min(40, completed.Stream.Length)])}... is {model.End} {model.Code}";
                (decoded.Status switch { DecodeStatus.Failed => StreamEnd.Failed, DecodeStatus.CloseReceived => StreamEnd.CloseReceived, _ => StreamEnd.NeedMoreData })
                    .Should().Be(model.End, because);
                decoded.Code.Should().Be(model.Code, because);
                (decoded.Messages, decoded.Pings, decoded.Pongs).Should().Be((model.Messages, model.Pings, model.Pongs), because);
            }

            string key = whole.Status == DecodeStatus.NeedMoreData ? "incomplete" : $"{whole.Status} {whole.Code}";
            tally[key] = tally.GetValueOrDefault(key) + 1;
            return Task.CompletedTask;
        }, TimeSpan.FromMinutes(4));
        TestContext.Out.WriteLine("outcomes: " + string.Join(", ", tally.OrderBy(t => t.Key).Select(t => $"{t.Key}: {t.Value}")));
    }

    [Test, CancelAfter(300_000)]
    public async Task Random_streams_over_a_socket_get_the_model_pongs_echoes_and_close_code(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { MaxMessage = MaxMessage, Echo = true, LogLevel = RawRelay.Diagnostics.LogLevel.Warn });
        int index = 0, connected = 0;
        await Fuzzing.RunAsync(Fuzzer, Fuzzing.Seeds(Fuzzer, LoadSize.FuzzCases / 10), async seed =>
        {
            var random = new Random(seed);
            if (Completed(Stream(random)) is not { } completed)
                return;                                             // still inside a frame: nothing to predict
            StreamVerdict expected = completed.Verdict;

            connected++;
            await using RawWebSocketClient client = await RawWebSocketClient.ConnectAsync(relay.Port, "fuzz", ct,
                source: ClientSwarm.Source(index++));
            await client.SendAsync(completed.Stream, ct);
            var replies = new List<(int Opcode, byte[] Payload)>();
            WsFrame frame;
            while ((frame = await client.ReceiveFrameAsync(ct).WithTimeout()).Opcode != WsFrame.Close)
                replies.Add((frame.Opcode, frame.Payload));
            string because = $"the model says {expected.End} {expected.Code} after {expected.Replies.Count} replies";
            frame.CloseCode.Should().Be(expected.Code, because);
            replies.Select(r => r.Opcode).Should().Equal(expected.Replies.Select(r => r.Opcode), because);
            for (int i = 0; i < replies.Count; i++)
                replies[i].Payload.Should().Equal(expected.Replies[i].Payload, $"reply {i}: {because}");
            client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);   // after a failure the relay waits for our end
            (await client.ReceiveEndOfStreamAsync(ct).WithTimeout()).Should().BeTrue();
        }, TimeSpan.FromMinutes(4));
        TestContext.Out.WriteLine($"{connected} streams sent over a socket (the rest ended inside a frame)");
        connected.Should().BeGreaterThan(0);
        relay.LogText.Should().NotContain(" ERROR ");
    }

    /// <summary>
    /// The stream made complete for both the model and the decoder: one the model leaves undecided ends with
    /// a close 1000 (null when even then it is inside a frame); a decided one gets bytes enough to complete
    /// any header after it, for a decoder that judges a header once it is whole (the model decides by the
    /// first byte that can).
    /// </summary>
    private static (byte[] Stream, StreamVerdict Verdict)? Completed(byte[] input)
    {
        StreamVerdict verdict = WebSocketStreamModel.Judge(input, MaxMessage);
        if (verdict.End == StreamEnd.NeedMoreData)
        {
            input = [.. input, .. ClientFrames.Close(1000)];
            verdict = WebSocketStreamModel.Judge(input, MaxMessage);
        }

        if (verdict.End == StreamEnd.NeedMoreData)
            return null;
        return ([.. input, .. new byte[WebSocketStreamModel.LongestHeader]], verdict);
    }

    /// <summary>What decoding a stream came to, and what the handler saw on the way.</summary>
    private sealed record Outcome(DecodeStatus Status, int Code, int Messages, long DataBytes, int Pings, int Pongs, long Allocated);

    private static void CheckSpecified(Outcome outcome)
    {
        outcome.Allocated.Should().Be(0, "the decoder never allocates");
        switch (outcome.Status)
        {
            case DecodeStatus.Failed:
                outcome.Code.Should().BeOneOf(1002, 1007, 1009);
                break;
            case DecodeStatus.CloseReceived:
                CloseCodes.IsValidOnWire(outcome.Code).Should().BeTrue($"{outcome.Code} is a code a close may carry");
                break;
        }
    }

    /// <summary>Feeds the pieces as the connection does: the undecoded rest stays at the front of the buffer.</summary>
    private static Outcome Decode(byte[] input, List<int> pieces)
    {
        var decoder = new FrameDecoder(MaxMessage);
        var handler = new CountingHandler();
        byte[] buffer = new byte[input.Length];
        int filled = 0, offset = 0;
        DecodeStatus status = DecodeStatus.NeedMoreData;
        long allocated = 0;
        foreach (int piece in pieces)
        {
            input.AsSpan(offset, piece).CopyTo(buffer.AsSpan(filled));
            offset += piece;
            filled += piece;
            long before = GC.GetAllocatedBytesForCurrentThread();
            status = decoder.Decode(buffer.AsSpan(0, filled), handler, out int consumed);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            consumed.Should().BeInRange(0, filled);
            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
            if (status != DecodeStatus.NeedMoreData)
                break;
        }

        int code = status == DecodeStatus.NeedMoreData ? 0 : (int)decoder.CloseCode;
        return new Outcome(status, code, handler.Messages, handler.DataBytes, handler.Pings, handler.Pongs, allocated);
    }

    /// <summary>One to six frames, valid or nearly so, then (half the time) mutated.</summary>
    private static byte[] Stream(Random random)
    {
        var stream = new List<byte>();
        int frames = random.Next(1, 7);
        for (int i = 0; i < frames; i++)
            stream.AddRange(random.Next(4) == 0 ? FragmentedMessage(random) : Frame(random));
        byte[] bytes = stream.ToArray();
        return random.Next(2) == 0 ? Fuzzing.Mutate(random, bytes) : bytes;
    }

    /// <summary>A message in two to four fragments, with pings between them, often over --max-message in all (and text cut inside a character).</summary>
    private static byte[] FragmentedMessage(Random random)
    {
        var bytes = new List<byte>();
        int fragments = random.Next(2, 5);
        int opcode = random.Next(2) == 0 ? WsFrame.Text : WsFrame.Binary;
        byte[] message = random.Next(2) == 0
            ? Encoding.UTF8.GetBytes(new string('\u00e9', random.Next(0, 900)))
            : Encoding.UTF8.GetBytes(new string('a', random.Next(0, 1400)));
        int at = 0;
        for (int i = 0; i < fragments; i++)
        {
            int take = i == fragments - 1 ? message.Length - at : random.Next(0, message.Length - at + 1);
            bytes.AddRange(ClientFrames.Build(i == 0 ? opcode : WsFrame.Continuation, message.AsSpan(at, take),
                fin: i == fragments - 1, mask: Fuzzing.RandomBytes(random, 4)));
            at += take;
            if (random.Next(3) == 0)
                bytes.AddRange(ClientFrames.Build(WsFrame.Ping, Fuzzing.RandomBytes(random, random.Next(0, 10)), mask: Fuzzing.RandomBytes(random, 4)));
        }

        return bytes.ToArray();
    }

    private static byte[] Frame(Random random)
    {
        int opcode = random.Next(10) switch
        {
            0 => random.Next(16),                       // anything, reserved ones included
            1 => WsFrame.Continuation,
            2 => WsFrame.Close,
            3 => WsFrame.Ping,
            4 => WsFrame.Pong,
            5 or 6 => WsFrame.Binary,
            _ => WsFrame.Text,
        };
        byte[] payload = opcode == WsFrame.Close ? ClosePayload(random) : Payload(random);
        int lengthForm = random.Next(8) == 0 ? new[] { 7, 16, 64 }[random.Next(3)] : 0;
        if (lengthForm == 7 && payload.Length > 125)
            lengthForm = 0;
        return ClientFrames.Build(opcode, payload, fin: random.Next(4) != 0, masked: random.Next(20) != 0,
            rsv: random.Next(20) == 0 ? random.Next(1, 8) : 0, lengthForm: lengthForm, mask: Fuzzing.RandomBytes(random, 4));
    }

    private static byte[] Payload(Random random) => random.Next(4) switch
    {
        0 => Fuzzing.RandomBytes(random, random.Next(0, 40)),
        1 => Encoding.UTF8.GetBytes(new string('é', random.Next(0, 700))),   // 2-byte characters, up to over --max-message
        2 => "€😀"u8.ToArray()[..random.Next(0, 8)],                           // possibly cut inside a character
        _ => Encoding.UTF8.GetBytes(new string('a', random.Next(0, 200))),
    };

    private static byte[] ClosePayload(Random random)
    {
        if (random.Next(6) == 0)
            return Fuzzing.RandomBytes(random, random.Next(0, 3));
        int code = random.Next(3) == 0 ? random.Next(65536) : InterestingCodes[random.Next(InterestingCodes.Length)];
        byte[] reason = random.Next(3) == 0 ? Fuzzing.RandomBytes(random, random.Next(1, 10)) : Encoding.UTF8.GetBytes("bye");
        return [(byte)(code >> 8), (byte)code, .. reason];
    }

    /// <summary>Counts what the decoder hands over; allocates nothing.</summary>
    private sealed class CountingHandler : IFrameHandler
    {
        public int Messages;
        public long DataBytes;
        public int Pings;
        public int Pongs;

        public void OnMessageData(ReadOnlySpan<byte> payload) => DataBytes += payload.Length;

        public void OnMessageEnd(Opcode opcode, long length) => Messages++;

        public void OnPing(ReadOnlySpan<byte> payload) => Pings++;

        public void OnPong(ReadOnlySpan<byte> payload) => Pongs++;
    }
}
