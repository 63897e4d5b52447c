namespace RawRelay;

/// <summary>The exit statuses of <c>rawrelay</c> and <c>rawrelay bench</c> (SPEC, Running it). Constants.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int CannotStart = 1;
    public const int Usage = 2;
}
