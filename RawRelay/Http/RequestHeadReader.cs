using System.Buffers;
using RawRelay.Transport;

namespace RawRelay.Http;

/// <summary>
/// Result of reading a request head: the head, or the status to refuse it with. A head with a malformed
/// header field comes with its 400 too, since 404 and 405 come first (SPEC's order 431, 404, 405, 400).
/// </summary>
internal readonly record struct RequestHeadResult(RequestHead? Head, int Status, string Reason)
{
    public static RequestHeadResult Refuse(int status, string reason) => new(null, status, reason);

    /// <summary>A head that is whole but holds a malformed field: 400, once the path and the method have had their say.</summary>
    public bool IsMalformed => Head is not null && Status == 400;
}

/// <summary>
/// Reads one HTTP request head through a <see cref="LineReader"/>: at most <see cref="MaxHeadBytes"/> in
/// all, 431 beyond that, 400 when malformed. Not thread-safe (one per connection).
/// </summary>
internal static class RequestHeadReader
{
    public const int MaxHeadBytes = 8192;
    private const int MaxHeaderFields = 100;

    /// <summary>Reads lines until the empty line that ends the head.</summary>
    public static async ValueTask<RequestHeadResult> ReadAsync(LineReader reader, CancellationToken ct)
    {
        RequestHead? head = null;
        long total = 0;
        int fields = 0;
        bool malformedField = false;
        while (true)
        {
            LineRead read = await reader.ReadLineAsync(ct).ConfigureAwait(false);
            if (read.IsEnd)
                return RequestHeadResult.Refuse(400, "incomplete request");
            if (read.Status == LineStatus.TooLong)
                return RequestHeadResult.Refuse(431, "request head too large");

            total += read.Line.Length + 2;
            if (total > MaxHeadBytes)
                return RequestHeadResult.Refuse(431, "request head too large");

            ReadOnlySpan<byte> line = read.Line.IsSingleSegment ? read.Line.FirstSpan : read.Line.ToArray();
            if (head is null)
            {
                if (line.IsEmpty)
                    continue;                           // RFC 9112 §2.2: ignore empty lines before the request line
                head = RequestHeadParser.ParseRequestLine(line);
                if (head is null)
                    return RequestHeadResult.Refuse(400, "malformed request line");
                continue;
            }

            if (line.IsEmpty)
            {
                return malformedField
                    ? new RequestHeadResult(head, 400, "malformed header field")
                    : new RequestHeadResult(head, 0, "");
            }

            if (++fields > MaxHeaderFields)
                return RequestHeadResult.Refuse(431, "too many header fields");

            // A malformed field is answered once the head has ended, so that 431 keeps its precedence.
            if (!malformedField && !RequestHeadParser.ParseHeaderLine(line, head))
                malformedField = true;
        }
    }
}
