using System.Security.Cryptography;

namespace RawRelay.Webhooks;

/// <summary>
/// The X-RawRelay-Signature header (SPEC): <c>sha256=</c> and the lowercase hex HMAC-SHA256 of the exact
/// body, keyed with <c>--webhook-secret</c>, as PHP's <c>hash_hmac('sha256', $body, $secret)</c> makes it.
/// Pure; thread-safe (static).
/// </summary>
internal static class WebhookSignature
{
    public const string Header = "X-RawRelay-Signature";

    public static string Sign(byte[] key, ReadOnlySpan<byte> body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, body));
}
