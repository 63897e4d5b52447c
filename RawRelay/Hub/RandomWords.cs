namespace RawRelay.Hub;

/// <summary>Random words of letters and digits for prefixes that must differ between runs. Thread-safe (static).</summary>
internal static class RandomWords
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>
    /// <paramref name="length"/> random lowercase letters and digits, from the system's CSPRNG (Guid.NewGuid,
    /// which reads it without loading libcrypto).
    /// </summary>
    public static string Alphanumeric(int length) => string.Create(length, 0, static (chars, _) =>
    {
        Span<byte> random = stackalloc byte[16];
        for (int i = 0; i < chars.Length; i++)
        {
            if (i % 6 == 0)
                Guid.NewGuid().TryWriteBytes(random);   // six of its first bytes are random in every version-4 Guid
            chars[i] = Alphabet[random[i % 6] % Alphabet.Length];
        }
    });
}
