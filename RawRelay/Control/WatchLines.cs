using System.Buffers;
using System.Text.Unicode;
using RawRelay.Hub;

namespace RawRelay.Control;

/// <summary>
/// The lines of WATCH (SPEC): <c>OPEN &lt;handle&gt; &lt;id&gt; &lt;host&gt;:&lt;port&gt;</c>,
/// <c>CLOSE &lt;handle&gt; &lt;id&gt; &lt;code&gt;</c>, <c>MESSAGE &lt;handle&gt; &lt;id&gt; TEXT|BINARY &lt;length&gt;</c>
/// followed by the payload and a LF, <c>OFFLINE &lt;id&gt;</c>, <c>OCCUPIED &lt;channel&gt;</c>,
/// <c>VACATED &lt;channel&gt;</c>. Pure; thread-safe (static).
/// </summary>
internal static class WatchLines
{
    /// <summary>More than the longest line without its payload (an id is at most 128 bytes, a channel 200).</summary>
    private const int MaxHeadBytes = 512;

    /// <summary>Writes the event's line (and payload) to <paramref name="output"/>; returns how many bytes.</summary>
    public static int Write(RelayEvent relayEvent, IBufferWriter<byte> output)
    {
        Span<byte> head = output.GetSpan(MaxHeadBytes);
        int written;
        bool fits = relayEvent.Kind switch
        {
            RelayEventKind.Open => Utf8.TryWrite(head, $"OPEN {relayEvent.Handle} {relayEvent.Id} {relayEvent.Peer}\n", out written),
            RelayEventKind.Close => Utf8.TryWrite(head, $"CLOSE {relayEvent.Handle} {relayEvent.Id} {relayEvent.Code}\n", out written),
            RelayEventKind.Message => Utf8.TryWrite(head,
                $"MESSAGE {relayEvent.Handle} {relayEvent.Id} {(relayEvent.Binary ? "BINARY" : "TEXT")} {relayEvent.Payload.Length}\n", out written),
            RelayEventKind.Offline => Utf8.TryWrite(head, $"OFFLINE {relayEvent.Id}\n", out written),
            RelayEventKind.Occupied => Utf8.TryWrite(head, $"OCCUPIED {relayEvent.Channel}\n", out written),
            _ => Utf8.TryWrite(head, $"VACATED {relayEvent.Channel}\n", out written),
        };
        if (!fits)
            throw new InvalidOperationException($"a {relayEvent.Kind} event's line is over {MaxHeadBytes} bytes");
        output.Advance(written);
        if (relayEvent.Kind != RelayEventKind.Message)
            return written;
        output.Write(relayEvent.Payload);
        output.Write("\n"u8);
        return written + relayEvent.Payload.Length + 1;
    }
}
