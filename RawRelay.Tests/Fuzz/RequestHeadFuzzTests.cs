using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using RawRelay.Diagnostics;
using RawRelay.Http;
using RawRelay.Tests.Infrastructure;
using RawRelay.Transport;

namespace RawRelay.Tests.Fuzz;

/// <summary>
/// Random and mutated HTTP request heads, judged by <see cref="HttpRequestModel"/> (a reference written from
/// the SPEC and the RFCs, sharing no code with the relay): directly into the request parser and the
/// handshake checks (any split gives the same status, which is the model's; allocation stays bounded) and
/// over a socket (the relay answers with the model's status).
/// </summary>
[TestFixture, NonParallelizable]
public sealed class RequestHeadFuzzTests
{
    private const string Fuzzer = "request-head";
    private const long AllocationBound = 1024 * 1024;

    [Test, CancelAfter(300_000)]
    public async Task Random_request_heads_get_the_model_status_in_any_split(CancellationToken ct)
    {
        var tally = new Dictionary<int, int>();
        int gaps = 0;
        await Fuzzing.RunAsync(Fuzzer, Fuzzing.Seeds(Fuzzer, LoadSize.FuzzCases), async seed =>
        {
            var random = new Random(seed);
            byte[] input = Request(random);
            long before = GC.GetAllocatedBytesForCurrentThread();
            int whole = await StatusAsync(input, [input.Length], ct);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            int split = await StatusAsync(input, Fuzzing.Splits(random, input.Length), ct);

            split.Should().Be(whole, "the answer does not depend on how the bytes arrive");
            (int status, bool knownGap) = HttpRequestModel.Judge(input);
            if (knownGap)
                gaps++;                             // 400 for 404/405, left to HandshakeConformanceTests (see the model)
            else
                whole.Should().Be(status, $"the model's status for {Show(input)}");
            allocated.Should().BeLessThan(AllocationBound, $"a head of {input.Length} bytes costs bounded memory");
            tally[whole] = tally.GetValueOrDefault(whole) + 1;
        }, TimeSpan.FromMinutes(4));
        TestContext.Out.WriteLine("statuses: " + string.Join(", ", tally.OrderBy(t => t.Key).Select(t => $"{t.Key}: {t.Value}")) +
            $"; {gaps} heads with a malformed field under 404/405 left out");
    }

    [Test, CancelAfter(300_000)]
    public async Task Random_request_heads_over_a_socket_get_the_model_status(CancellationToken ct)
    {
        await using RelayFixture relay = RelayFixture.Start(o => o with { LogLevel = RawRelay.Diagnostics.LogLevel.Warn });
        int index = 0, gaps = 0;
        await Fuzzing.RunAsync(Fuzzer, Fuzzing.Seeds(Fuzzer, LoadSize.FuzzCases / 10), async seed =>
        {
            var random = new Random(seed);
            byte[] input = Request(random);
            (int expected, bool knownGap) = HttpRequestModel.Judge(input);
            if (knownGap)
            {
                gaps++;                             // 400 for 404/405, left to HandshakeConformanceTests (see the model)
                return;
            }

            await using RawWebSocketClient client = await RawWebSocketClient.OpenAsync(relay.Port, ct, ClientSwarm.Source(index++));
            await client.SendAsync(input, ct);
            client.Socket.Shutdown(SocketShutdown.Send);     // the end of the request: an unfinished head is incomplete
            HttpReply reply = await client.ReadHttpResponseAsync(ct).WithTimeout();
            reply.Status.Should().Be(expected, $"the model's status for {Show(input)}");
        }, TimeSpan.FromMinutes(4));
        TestContext.Out.WriteLine($"{gaps} heads with a malformed field under 404/405 left out");
    }

    /// <summary>The status the relay gives these bytes (then the end of the stream), without a static folder.</summary>
    private static async Task<int> StatusAsync(byte[] input, List<int> pieces, CancellationToken ct)
    {
        var pipe = new Pipe();
        int offset = 0;
        foreach (int piece in pieces)
        {
            await pipe.Writer.WriteAsync(input.AsMemory(offset, piece), ct);
            offset += piece;
        }

        await pipe.Writer.CompleteAsync();
        var reader = new LineReader(pipe.Reader, RequestHeadReader.MaxHeadBytes);
        RequestHeadResult result = await RequestHeadReader.ReadAsync(reader, ct).AsTask().WithTimeout();
        reader.Complete();
        if (result.Head is not { } head)
            return result.Status;
        if (head.Path != "/websocket")
            return 404;
        return HandshakeValidator.Validate(result, HandshakePolicy.Open).Status;
    }

    private static string Show(byte[] input)
    {
        string text = Encoding.Latin1.GetString(input[..Math.Min(input.Length, 120)]).Replace("\r", "\\r").Replace("\n", "\\n");
        return $"\"{text}\"{(input.Length > 120 ? $"... ({input.Length} bytes)" : "")}";
    }

    /// <summary>A request head from parts that are each usually right, then (half the time) mutated.</summary>
    private static byte[] Request(Random random)
    {
        // Each part is right four times in five, so that most heads have one or two faults, not ten.
        string Pick(string right, params string[] wrong) => random.Next(5) != 0 ? right : wrong[random.Next(wrong.Length)];
        string eol = random.Next(8) == 0 ? "\n" : "\r\n";
        var head = new StringBuilder();
        if (random.Next(10) == 0)
            head.Append(eol);                                  // empty lines before the request line are allowed
        head.Append(Pick("GET", "get", "POST", "HEAD", "G\u00e9T", ""))
            .Append(Pick(" ", "  ", "\t"))
            .Append(Pick("/websocket?id=", "/websocket?x=1&id=", "/other?id=", "websocket?id=", "/web socket?id="))
            .Append(Pick("board1", "b%20oard", "%41bc", new string('i', 129), "", "%ZZ", "\u00e9"))
            .Append(Pick(" HTTP/1.1", " HTTP/1.0", " HTTP/2", " http/1.1", " HTTP/1.1 x", ""))
            .Append(eol);
        var fields = new List<string>
        {
            Pick("Host: 127.0.0.1", "Host:", "host: a", "Host : x"),
            Pick("Upgrade: websocket", "Upgrade: WebSocket", "upgrade: h2c", "Upgrade: websocket, h2c"),
            Pick("Connection: Upgrade", "Connection: keep-alive, Upgrade", "Connection: close", "connection: upgrade"),
            Pick("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key: short", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ"),
            Pick("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", "Sec-WebSocket-Version:  13 "),
        };
        if (random.Next(6) == 0)
            fields.RemoveAt(random.Next(fields.Count));
        if (random.Next(6) == 0)
            fields.Insert(random.Next(fields.Count + 1), fields[random.Next(fields.Count)]);
        if (random.Next(10) == 0)
            fields.Add("X-Big: " + new string('b', random.Next(4000, 9000)));
        if (random.Next(10) == 0)
            fields.AddRange(Enumerable.Range(0, random.Next(90, 110)).Select(i => $"X-{i}: {i}"));
        if (random.Next(10) == 0)
            fields.Add(Pick(" folded", "No-Colon", ": empty name", "Bad\u0001: x", "X: a\u0001b"));
        foreach (string field in fields.OrderBy(_ => random.Next(4)))
            head.Append(field).Append(eol);
        if (random.Next(12) != 0)
            head.Append(eol);                                  // the blank line that ends the head (sometimes missing)
        byte[] bytes = Encoding.Latin1.GetBytes(head.ToString());
        return random.Next(2) == 0 ? Fuzzing.Mutate(random, bytes) : bytes;
    }
}
