namespace RawRelay.Control;

/// <summary>Walks the words of a control line, separated by single spaces; two spaces make an empty word.</summary>
internal ref struct WordReader
{
    private readonly ReadOnlySpan<byte> _line;
    private int _position;
    private bool _atEnd;

    public WordReader(ReadOnlySpan<byte> line) => _line = line;

    /// <summary>True when nothing follows the last word (not even a space).</summary>
    public readonly bool AtEnd => _atEnd;

    /// <summary>True when a space followed the last word, so a rest (possibly empty) exists.</summary>
    public readonly bool HasRest => !_atEnd;

    public readonly int RestStart => _position;

    public ReadOnlySpan<byte> Next()
    {
        if (_atEnd)
            return [];
        ReadOnlySpan<byte> rest = _line[_position..];
        int space = rest.IndexOf((byte)' ');
        if (space < 0)
        {
            _position = _line.Length;
            _atEnd = true;
            return rest;
        }

        _position += space + 1;
        return rest[..space];
    }

    public readonly ReadOnlySpan<byte> Rest() => _line[_position..];

    /// <summary>Whether <paramref name="word"/> is <paramref name="upperName"/>, ASCII case-insensitively.</summary>
    public static bool Is(ReadOnlySpan<byte> word, ReadOnlySpan<byte> upperName) =>
        word.Length == upperName.Length && System.Text.Ascii.EqualsIgnoreCase(word, upperName);
}
