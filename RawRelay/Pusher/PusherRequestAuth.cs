using System.Globalization;
using RawRelay.Http;

namespace RawRelay.Pusher;

/// <summary>
/// Checks that an HTTP API request is signed by the app (Pusher's HTTP API reference, "Authentication"):
/// <c>auth_key</c> the app's key, <c>auth_timestamp</c> within <see cref="MaxSkewSeconds"/> of now,
/// <c>auth_version</c> 1.0, <c>body_md5</c> the MD5 of the exact body (when there is one), and
/// <c>auth_signature</c> the HMAC-SHA256 of method, path and the other parameters. Pure; thread-safe (static).
/// </summary>
internal static class PusherRequestAuth
{
    public const int MaxSkewSeconds = 600;

    /// <summary>The query's parameters, percent-decoded (<c>+</c> a space, as forms write it); null when one is malformed or one repeats.</summary>
    public static Dictionary<string, string>? ParseQuery(string query)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            string? name = QueryString.PercentDecode(equals < 0 ? pair : pair[..equals]);
            string? value = equals < 0 ? "" : QueryString.PercentDecode(pair[(equals + 1)..].Replace('+', ' '));
            if (name is null || value is null || !parameters.TryAdd(name, value))
                return null;
        }

        return parameters;
    }

    /// <summary>Null when the request is the app's, signed and fresh; else why not (the 401's body).</summary>
    public static string? Refusal(PusherApp app, string method, string path, Dictionary<string, string>? parameters,
        ReadOnlySpan<byte> body, long unixNow)
    {
        if (parameters is null)
            return "malformed query string";
        if (!parameters.TryGetValue("auth_key", out string? key) || key != app.Key)
            return "unknown auth_key";
        if (!parameters.TryGetValue("auth_timestamp", out string? stamp)
            || !long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out long timestamp))
            return "missing auth_timestamp";
        if (Math.Abs(unixNow - timestamp) > MaxSkewSeconds)
            return $"auth_timestamp expired: more than {MaxSkewSeconds} s from the server's time {unixNow}";
        if (!parameters.TryGetValue("auth_version", out string? version) || version != "1.0")
            return "auth_version must be 1.0";
        if (!body.IsEmpty || parameters.ContainsKey("body_md5"))
        {
            if (!parameters.TryGetValue("body_md5", out string? md5) || md5 != PusherSignatures.BodyMd5(body))
                return "body_md5 does not match the body";
        }

        if (!parameters.TryGetValue("auth_signature", out string? signature)
            || !PusherSignatures.IsSignature(app.Secret, PusherSignatures.RequestSigned(method, path, parameters), signature))
            return "invalid auth_signature";
        return null;
    }
}
