using RawRelay.Hub;

namespace RawRelay.WebSockets;

/// <summary>
/// The <c>rawrelay.v1</c> subprotocol (SPEC, Nothing lost between pages): every message begins with a header
/// line <c>&lt;stream&gt; &lt;epoch&gt;:&lt;offset&gt;</c> and a LF, then the payload, in a text frame for a text
/// message and a binary frame for a binary one (the header is ASCII). Stateless; thread-safe.
/// </summary>
internal sealed class V1Dialect : IDialect
{
    public const string Protocol = "rawrelay.v1";

    public static readonly V1Dialect Instance = new();

    /// <summary>The longest header: a 200-character channel or a 129-character #id, a 32-character epoch, 19 digits.</summary>
    private const int MaxHeader = 200 + 1 + 32 + 1 + 19 + 1;

    private V1Dialect()
    {
    }

    public ReadOnlyMemory<byte> Frame(Message message)
    {
        Span<byte> header = stackalloc byte[MaxHeader];
        int length = WriteHeader(message, header);
        return FrameArena.ForThisThread.Frame(PlainDialect.OpcodeOf(message), header[..length], message.Payload.Span);
    }

    public byte[] FrameToKeep(Message message)
    {
        Span<byte> header = stackalloc byte[MaxHeader];
        int length = WriteHeader(message, header);
        return FrameWriter.FrameToKeep(PlainDialect.OpcodeOf(message), header[..length], message.Payload.Span);
    }

    /// <summary>Writes <c>&lt;stream&gt; &lt;epoch&gt;:&lt;offset&gt;\n</c>; returns its length.</summary>
    private static int WriteHeader(Message message, Span<byte> header)
    {
        int at = message.Stream!.WriteName(header);
        header[at++] = (byte)' ';
        at += message.Stream.WriteEpoch(header[at..]);
        header[at++] = (byte)':';
        message.Offset.TryFormat(header[at..], out int digits, default, System.Globalization.CultureInfo.InvariantCulture);
        at += digits;
        header[at++] = (byte)'\n';
        return at;
    }
}
