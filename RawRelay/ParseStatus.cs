namespace RawRelay;

/// <summary>Outcome of a parser that reads bytes it may not yet have all of.</summary>
internal enum ParseStatus
{
    Complete,
    NeedMoreData,
    Invalid,
}
