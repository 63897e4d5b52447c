using System.Globalization;
using System.Text;

namespace RawRelay.Cluster;

/// <summary>
/// A message's body on the wire: binary or text, and for one written in a protocol's dialect (a Pusher event)
/// the key of the connection it leaves out (<see cref="Except"/> not null, empty for none); the payload starts
/// at <see cref="PayloadStart"/>.
/// </summary>
internal readonly record struct MessageBody(bool Binary, string? Except, int PayloadStart)
{
    public bool IsWritten => Except is not null;
}

/// <summary>What one relay asks of the others over a stream's (or a node's) Redis channel.</summary>
internal readonly record struct ClusterRequest(string Op, string From, long Number, string Args);

/// <summary>One relay's answer to a <see cref="ClusterRequest"/>: a count and data lines.</summary>
internal readonly record struct ClusterReply(long Number, string Node, long Count, string[] Lines);

/// <summary>
/// The bytes relays send each other through Redis pub/sub, and the names of the Redis keys and channels.
/// A message on a stream's channel is its kind (<c>T</c> text, <c>B</c> binary, <c>W</c> written in a
/// protocol's dialect, with the key of the connection it leaves out and a LF) and then the payload as it is;
/// a request is <c>C</c> and one line, <c>&lt;op&gt; &lt;from node&gt; &lt;number&gt; &lt;args&gt;</c>; a reply, on the asking node's channel, is <c>&lt;number&gt; &lt;node&gt; &lt;count&gt;</c> and a data line
/// per LF after it. Pure functions; thread-safe.
/// </summary>
internal static class ClusterWire
{
    public const byte Text = (byte)'T';
    public const byte Binary = (byte)'B';
    public const byte Request = (byte)'C';
    public const byte Positioned = (byte)'P';
    public const byte MarkerKind = (byte)'N';

    /// <summary>A message written in a protocol's dialect (a Pusher event): <c>W&lt;except&gt;\n</c>, then the payload.</summary>
    public const byte Written = (byte)'W';

    /// <summary>A protocol's notice for its sessions on a channel (<see cref="Notice"/>).</summary>
    public const byte NoticeKind = (byte)'M';

    /// <summary>A marker a relay sends through a stream's channel to see its subscription work; others ignore it.</summary>
    public static byte[] Marker(string name) => [MarkerKind, .. Encoding.ASCII.GetBytes(name)];

    /// <summary>
    /// Reads a message Redis gave a position (<c>P&lt;epoch&gt; &lt;offset&gt; </c> then kind and payload), or a
    /// kept entry (<c>&lt;offset&gt; </c> then kind and payload) when <paramref name="epoch"/> is not wanted.
    /// </summary>
    public static bool TryParsePositioned(ReadOnlySpan<byte> bytes, bool withEpoch, out string epoch, out long offset, out MessageBody body)
    {
        epoch = "";
        offset = 0;
        body = default;
        int at = 0;
        if (withEpoch)
        {
            if (bytes.Length == 0 || bytes[0] != Positioned)
                return false;
            int space = bytes[1..].IndexOf((byte)' ');
            if (space <= 0)
                return false;
            epoch = Encoding.ASCII.GetString(bytes.Slice(1, space));
            at = space + 2;
        }

        int end = bytes[at..].IndexOf((byte)' ');
        if (end <= 0 || !long.TryParse(bytes.Slice(at, end), NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            return false;
        return TryParseBody(bytes, at + end + 1, out body);
    }

    /// <summary>Reads what begins at a message's kind byte (<paramref name="kindAt"/>): text, binary, or written in a protocol's dialect.</summary>
    public static bool TryParseBody(ReadOnlySpan<byte> bytes, int kindAt, out MessageBody body)
    {
        body = default;
        if (kindAt >= bytes.Length || bytes[kindAt] is not (Text or Binary or Written))
            return false;
        if (bytes[kindAt] != Written)
        {
            body = new MessageBody(bytes[kindAt] == Binary, null, kindAt + 1);
            return true;
        }

        if (!TryParseKeyed(bytes, kindAt, out string except, out int payloadStart))
            return false;
        body = new MessageBody(false, except, payloadStart);
        return true;
    }

    /// <summary>Reads a <see cref="Notice"/>: the key of the socket it leaves out, and where its payload starts.</summary>
    public static bool TryParseNotice(ReadOnlySpan<byte> bytes, out string except, out int payloadStart)
    {
        except = "";
        payloadStart = 0;
        return bytes.Length > 0 && bytes[0] == NoticeKind && TryParseKeyed(bytes, 0, out except, out payloadStart);
    }

    /// <summary>After the kind byte at <paramref name="kindAt"/>: a key up to the first LF, then the payload.</summary>
    private static bool TryParseKeyed(ReadOnlySpan<byte> bytes, int kindAt, out string key, out int payloadStart)
    {
        key = "";
        payloadStart = 0;
        int line = bytes[(kindAt + 1)..].IndexOf((byte)'\n');
        if (line < 0)
            return false;
        key = Encoding.ASCII.GetString(bytes.Slice(kindAt + 1, line));
        payloadStart = kindAt + line + 2;
        return true;
    }

    /// <summary>
    /// A notice of a protocol's own for its sessions on a stream's channel (a presence member's arrival or
    /// departure), never a message of the stream: <c>M&lt;except&gt;\n</c>, then the payload.
    /// </summary>
    public static byte[] Notice(string except, ReadOnlySpan<byte> payload)
    {
        byte[] bytes = WrittenMessage(except, payload);
        bytes[0] = NoticeKind;
        return bytes;
    }

    /// <summary>A message written in a protocol's dialect: its kind byte, the key of the connection it leaves out (empty: none), LF, the payload.</summary>
    public static byte[] WrittenMessage(string? except, ReadOnlySpan<byte> payload)
    {
        int length = except is null ? 0 : Encoding.ASCII.GetByteCount(except);
        var bytes = new byte[2 + length + payload.Length];
        bytes[0] = Written;
        if (except is not null)
            Encoding.ASCII.GetBytes(except, bytes.AsSpan(1));
        bytes[1 + length] = (byte)'\n';
        payload.CopyTo(bytes.AsSpan(2 + length));
        return bytes;
    }

    /// <summary>A fresh epoch for a stream Redis does not have: 1-32 letters and digits, random (relays draw them independently).</summary>
    public static string NewEpoch() => "r" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    public const string Prefix = "rawrelay:";

    /// <summary>The pub/sub channel of a stream (<c>*</c>, <c>#id</c> or a channel).</summary>
    public static string StreamChannel(string stream) => Prefix + "s:" + stream;

    /// <summary>The channel every relay listens on (LIST CHANNELS).</summary>
    public const string AllNodesChannel = Prefix + "all";

    /// <summary>The channel of one relay's handle prefix (DISCONNECT finds a connection's relay by its handle).</summary>
    public static string HandleChannel(string handlePrefix) => Prefix + "h:" + handlePrefix;

    /// <summary>The channel a relay's replies come back on.</summary>
    public static string ReplyChannel(string node) => Prefix + "r:" + node;

    /// <summary>A message on a stream: its kind byte, then the payload.</summary>
    public static byte[] Message(bool binary, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[payload.Length + 1];
        bytes[0] = binary ? Binary : Text;
        payload.CopyTo(bytes.AsSpan(1));
        return bytes;
    }

    public static byte[] EncodeRequest(in ClusterRequest request)
    {
        string line = $"{request.Op} {request.From} {request.Number.ToString(CultureInfo.InvariantCulture)} {request.Args}";
        var bytes = new byte[Encoding.UTF8.GetByteCount(line) + 1];
        bytes[0] = Request;
        Encoding.UTF8.GetBytes(line, bytes.AsSpan(1));
        return bytes;
    }

    /// <summary>Reads a request (after its kind byte); false for anything else.</summary>
    public static bool TryParseRequest(ReadOnlySpan<byte> body, out ClusterRequest request)
    {
        request = default;
        string line;
        try
        {
            line = new UTF8Encoding(false, true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        string[] parts = line.Split(' ', 4);
        if (parts.Length < 3 || parts[0].Length == 0 || parts[1].Length == 0 ||
            !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long number))
            return false;
        request = new ClusterRequest(parts[0], parts[1], number, parts.Length == 4 ? parts[3] : "");
        return true;
    }

    public static byte[] EncodeReply(in ClusterReply reply)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{reply.Number} {reply.Node} {reply.Count}");
        foreach (string line in reply.Lines)
            text.Append('\n').Append(line);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static bool TryParseReply(ReadOnlySpan<byte> bytes, out ClusterReply reply)
    {
        reply = default;
        string[] lines = Encoding.UTF8.GetString(bytes).Split('\n');
        string[] head = lines[0].Split(' ');
        if (head.Length != 3 || head[1].Length == 0 ||
            !long.TryParse(head[0], NumberStyles.None, CultureInfo.InvariantCulture, out long number) ||
            !long.TryParse(head[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long count))
            return false;
        reply = new ClusterReply(number, head[1], count, lines[1..]);
        return true;
    }

    /// <summary>A LIST WEBSOCKETS line in a cluster: <c>&lt;id&gt; &lt;host&gt;:&lt;port&gt; &lt;node&gt;</c>.</summary>
    public static string ListLine(string id, string peer, string node) => id + " " + peer + " " + node;

    /// <summary>Reads a cluster LIST line back (ids, peers and node names hold no space).</summary>
    public static bool TryParseListLine(string line, out string id, out string peer, out string node)
    {
        string[] parts = line.Split(' ');
        (id, peer, node) = parts.Length == 3 ? (parts[0], parts[1], parts[2]) : ("", "", "");
        return parts.Length == 3 && parts.All(static p => p.Length > 0);
    }

    /// <summary>A LIST CHANNELS line from one relay: <c>&lt;name&gt; &lt;connections&gt;</c>.</summary>
    public static bool TryParseCount(string line, out string name, out long count)
    {
        int space = line.LastIndexOf(' ');
        name = space > 0 ? line[..space] : "";
        count = 0;
        return space > 0 && long.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out count);
    }

    /// <summary>A node name: 1-100 characters of letters, digits and <c>. _ : - [ ]</c> (no space: LIST's third field).</summary>
    public static bool IsNodeName(string name) =>
        name.Length is > 0 and <= 100 && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-' or '[' or ']');
}
