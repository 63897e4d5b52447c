using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration.Conformance;

/// <summary>
/// Autobahn category 6 (UTF-8): valid text is echoed however it is fragmented; invalid text fails with 1007
/// (RFC 6455 §8.1), however it is fragmented, and as soon as the byte that breaks it has arrived.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class Utf8ConformanceTests : EchoRelayTests
{
    private static TestCaseData Row(string name, string hex) =>
        new TestCaseData(Convert.FromHexString(hex)).SetArgDisplayNames(name);

    public static IEnumerable<TestCaseData> ValidText() =>
    [
        Row("kosme", "CEBAE1BDB9CF83CEBCCEB5"),
        Row("U+0000", "00"),
        Row("U+007F", "7F"),
        Row("U+0080", "C280"),
        Row("U+07FF", "DFBF"),
        Row("U+0800", "E0A080"),
        Row("U+D7FF before the surrogates", "ED9FBF"),
        Row("U+E000 after the surrogates", "EE8080"),
        Row("U+FFFD", "EFBFBD"),
        Row("U+FFFF noncharacter", "EFBFBF"),
        Row("U+10000", "F0908080"),
        Row("U+10FFFF", "F48FBFBF"),
        Row("emoji between ASCII", "61F09F988062"),
    ];

    // The index of the first byte that makes each row invalid; -1 when only the end of the message does.
    private static TestCaseData Bad(string name, string hex, int failAt) =>
        new TestCaseData(Convert.FromHexString(hex), failAt).SetArgDisplayNames(name);

    public static IEnumerable<TestCaseData> InvalidText() =>
    [
        Bad("lone continuation byte", "80", 0),
        Bad("continuation after ASCII", "41BF", 1),
        Bad("C0 overlong", "C080", 0),
        Bad("C1 overlong", "C1BF", 0),
        Bad("3-byte overlong", "E08080", 1),
        Bad("4-byte overlong", "F08FBFBF", 1),
        Bad("high surrogate U+D800", "EDA080", 1),
        Bad("low surrogate U+DFFF", "EDBFBF", 1),
        Bad("surrogate pair", "EDA080EDB080", 1),
        Bad("U+110000 past U+10FFFF", "F4908080", 1),
        Bad("F5 lead byte", "F5808080", 0),
        Bad("FE byte", "FE", 0),
        Bad("FF byte", "FF", 0),
        Bad("2-byte start then ASCII", "C241", 1),
        Bad("Autobahn 6.4.1 text with U+110000", "CEBAE1BDB9CF83CEBCCEB5F4908080656469746564", 12),
        Bad("truncated 2-byte at the end", "41C2", -1),
        Bad("truncated 4-byte at the end", "F09F98", -1),
    ];

    public static IEnumerable<TestCaseData> InvalidTextBeforeItsEnd() => InvalidText().Where(row => (int)row.Arguments[1]! >= 0);

    [TestCaseSource(nameof(ValidText)), CancelAfter(10_000)]
    public async Task Valid_text_is_echoed(byte[] text, CancellationToken ct)
    {
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();
        await client.SendAsync(ClientFrames.Build(WsFrame.Text, text), ct).WithTimeout();
        await ExpectFrameAsync(client, WsFrame.Text, text, ct);
    }

    [TestCaseSource(nameof(ValidText)), CancelAfter(20_000)]
    public async Task Valid_text_split_into_two_fragments_at_every_position_is_echoed(byte[] text, CancellationToken ct)
    {
        // One connection carries every split, one message per split.
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();
        for (int at = 0; at <= text.Length; at++)
        {
            await client.SendAsync([.. ClientFrames.Build(WsFrame.Text, text.AsSpan(0, at), fin: false), .. ClientFrames.Build(WsFrame.Continuation, text.AsSpan(at))], ct).WithTimeout();
            await ExpectFrameAsync(client, WsFrame.Text, text, ct);
        }

        await CloseCleanlyAsync(client, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task Valid_text_in_one_byte_fragments_is_echoed(CancellationToken ct)
    {
        byte[] text = Convert.FromHexString("CEBAE1BDB9CF83CEBCCEB5F48FBFBF");
        var frames = new List<byte>();
        for (int i = 0; i < text.Length; i++)
            frames.AddRange(ClientFrames.Build(i == 0 ? WsFrame.Text : WsFrame.Continuation, text.AsSpan(i, 1), fin: i == text.Length - 1));
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(frames.ToArray(), ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Text, text, ct);
    }

    [TestCaseSource(nameof(InvalidText)), CancelAfter(10_000)]
    public async Task Invalid_text_is_closed_with_1007(byte[] text, int failAt, CancellationToken ct) =>
        await ExpectFailureAsync(ClientFrames.Build(WsFrame.Text, text), 1007, ct);

    [TestCaseSource(nameof(InvalidText)), CancelAfter(30_000)]
    public async Task Invalid_text_split_into_two_fragments_at_every_position_is_closed_with_1007(byte[] text, int failAt, CancellationToken ct)
    {
        for (int at = 0; at <= text.Length; at++)
            await ExpectFailureAsync([.. ClientFrames.Build(WsFrame.Text, text.AsSpan(0, at), fin: false), .. ClientFrames.Build(WsFrame.Continuation, text.AsSpan(at))], 1007, ct);
    }

    [TestCaseSource(nameof(InvalidTextBeforeItsEnd)), CancelAfter(10_000)]
    public async Task Invalid_text_fails_once_the_breaking_byte_arrives_without_waiting_for_the_rest_of_the_frame(byte[] text, int failAt, CancellationToken ct)
    {
        // The frame announces 100 more bytes than are sent: only an early check can answer.
        byte[] frame = ClientFrames.Build(WsFrame.Text, [.. text, .. new byte[100]]);
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(frame.AsMemory(0, 6 + failAt + 1), ct).WithTimeout();   // 6 header bytes, then up to the breaking byte

        await client.ExpectClosedWithAsync(1007, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task Invalid_text_in_a_later_fragment_fails_before_the_message_ends(CancellationToken ct)
    {
        // Autobahn 6.4.2: valid first fragment, the breaking byte alone in the second; the third is never sent.
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Build(WsFrame.Text, Convert.FromHexString("CEBAE1BDB9CF83CEBCCEB5F4"), fin: false), ct).WithTimeout();
        await client.SendAsync(ClientFrames.Build(WsFrame.Continuation, [0x90], fin: false), ct).WithTimeout();

        await client.ExpectClosedWithAsync(1007, ct);
    }

    [Test, CancelAfter(10_000)]
    public async Task Invalid_bytes_in_a_binary_message_are_echoed(CancellationToken ct)
    {
        byte[] payload = Convert.FromHexString("C080EDA080F4908080FFFE");
        await using RawWebSocketClient client = await ConnectAsync(ct).WithTimeout();

        await client.SendAsync(ClientFrames.Build(WsFrame.Binary, payload), ct).WithTimeout();

        await ExpectFrameAsync(client, WsFrame.Binary, payload, ct);
    }
}
