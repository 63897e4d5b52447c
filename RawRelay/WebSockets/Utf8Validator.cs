using System.Buffers;

namespace RawRelay.WebSockets;

/// <summary>
/// Incremental UTF-8 validator (Björn Höhrmann's DFA) that carries its state across fragments, so an
/// invalid sequence is rejected at the first byte that cannot continue it (overlongs, surrogates and
/// code points past U+10FFFF included). A mutable struct: one per message, not thread-safe.
/// </summary>
internal struct Utf8Validator
{
    private const byte Accept = 0;
    private const byte Reject = 12;

    // Byte classes, then the transition table, of the DFA from
    // http://bjoern.hoehrmann.de/utf-8/decoder/dfa/ (states are multiples of 12).
    private static ReadOnlySpan<byte> Classes =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
        7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        10, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3, 11, 6, 6, 6, 5, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    ];

    private static ReadOnlySpan<byte> Transitions =>
    [
        0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
        12, 0, 12, 12, 12, 12, 12, 0, 12, 0, 12, 12, 12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12,
        12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12,
        12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, 12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,
        12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    ];

    private byte _state;

    /// <summary>True when the bytes so far end on a character boundary (a message may end here).</summary>
    public readonly bool IsComplete => _state == Accept;

    /// <summary>Feeds more bytes. Returns false as soon as they cannot be part of valid UTF-8.</summary>
    public bool Append(ReadOnlySpan<byte> bytes)
    {
        byte state = _state;
        int i = 0;
        while (i < bytes.Length)
        {
            if (state == Accept)
            {
                // Fast path: skip a run of ASCII with vectorised search.
                int nonAscii = bytes[i..].IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
                if (nonAscii < 0)
                    break;
                i += nonAscii;
            }

            state = Transitions[state + Classes[bytes[i]]];
            if (state == Reject)
            {
                _state = Reject;
                return false;
            }

            i++;
        }

        _state = state;
        return true;
    }

    /// <summary>Checks a whole buffer: valid UTF-8 that ends on a character boundary.</summary>
    public static bool IsValid(ReadOnlySpan<byte> bytes)
    {
        var validator = new Utf8Validator();
        return validator.Append(bytes) && validator.IsComplete;
    }

    /// <summary>Checks a whole buffer that may be split over segments.</summary>
    public static bool IsValid(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
            return IsValid(bytes.FirstSpan);
        var validator = new Utf8Validator();
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            if (!validator.Append(segment.Span))
                return false;
        }

        return validator.IsComplete;
    }
}
