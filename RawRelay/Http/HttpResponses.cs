using System.Text;

namespace RawRelay.Http;

/// <summary>Builds the HTTP responses the relay sends. Pure; thread-safe (static).</summary>
internal static class HttpResponses
{
    /// <summary>101 Switching Protocols for an accepted upgrade (RFC 6455 §4.2.2).</summary>
    public static byte[] SwitchingProtocols(string key, string? protocol = null) => Encoding.ASCII.GetBytes(
        "HTTP/1.1 101 Switching Protocols\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        $"Sec-WebSocket-Accept: {AcceptKey.Compute(key)}\r\n" +
        (protocol is null ? "" : $"Sec-WebSocket-Protocol: {protocol}\r\n") +
        "\r\n");

    /// <summary>A refusal: a short text/plain body naming the reason; the connection is closed after it.</summary>
    public static byte[] Refusal(int status, string reason)
    {
        string body = reason + "\n";
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(status).Append(' ').Append(ReasonPhrase(status)).Append("\r\n")
            .Append("Content-Type: text/plain; charset=utf-8\r\n")
            .Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body)).Append("\r\n")
            .Append("Connection: close\r\n");
        if (status == 426)
            head.Append("Sec-WebSocket-Version: 13\r\n").Append("Upgrade: websocket\r\n");  // RFC 6455 §4.4
        if (status == 405)
            head.Append("Allow: GET\r\n");
        head.Append("\r\n").Append(body);
        return Encoding.UTF8.GetBytes(head.ToString());
    }

    /// <summary>
    /// A whole response with a body made in memory (health, metrics), then the connection is closed; a HEAD
    /// gets the head alone.
    /// </summary>
    public static byte[] Complete(int status, string contentType, ReadOnlySpan<byte> body, bool headOnly = false)
    {
        byte[] head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} {ReasonPhrase(status)}\r\n" +
            $"Content-Type: {contentType}\r\n" +
            $"Content-Length: {body.Length}\r\n" +
            "Cache-Control: no-cache\r\n" +
            "Connection: close\r\n\r\n");
        return headOnly ? head : [.. head, .. body];
    }

    /// <summary>The head of a 200 response for a static file; the body follows unless it is a HEAD.</summary>
    public static byte[] FileHead(string contentType, long length) => Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\n" +
        $"Content-Type: {contentType}\r\n" +
        $"Content-Length: {length}\r\n" +
        "Cache-Control: no-cache\r\n" +
        "X-Content-Type-Options: nosniff\r\n" +
        "Connection: close\r\n\r\n");

    public static string ReasonPhrase(int status) => status switch
    {
        101 => "Switching Protocols",
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
}
