using RawRelay.Webhooks;

namespace RawRelay.Tests.Codec;

/// <summary>SPEC: a failed webhook POST is retried after 1, 2, 4 ... at most 60 s; with jitter of ±20%, never past 60 s.</summary>
[TestFixture]
public sealed class RetryDelaysTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1), Max = TimeSpan.FromSeconds(60);

    [TestCase(1, 1.0)]
    [TestCase(2, 2.0)]
    [TestCase(3, 4.0)]
    [TestCase(6, 32.0)]
    [TestCase(7, 60.0)]
    [TestCase(100, 60.0)]
    public void Waits_double_up_to_a_minute(int failures, double seconds) =>
        RetryDelays.After(failures, First, Max, 0.5).TotalSeconds.Should().BeApproximately(seconds, 1e-9);

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(40)]
    public void Jitter_is_a_fifth_either_way_and_never_past_the_cap(int failures)
    {
        double plain = RetryDelays.After(failures, First, Max, 0.5).TotalSeconds;
        RetryDelays.After(failures, First, Max, 0).TotalSeconds.Should().BeApproximately(plain * 0.8, 1e-9);
        RetryDelays.After(failures, First, Max, 0.999999).TotalSeconds.Should().BeApproximately(Math.Min(plain * 1.2, 60), 1e-4);
    }
}
