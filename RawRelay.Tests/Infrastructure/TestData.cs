using System.Text;

namespace RawRelay.Tests.Infrastructure;

/// <summary>Small builders of test inputs shared by the control-socket tests.</summary>
internal static class TestData
{
    /// <summary>A board id unique to the test (20 characters), so tests can share one relay.</summary>
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    /// <summary>Text, raw bytes, text: a command line with bytes that are not UTF-8 in its middle.</summary>
    public static byte[] Concat(string before, byte[] middle, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. middle, .. Encoding.UTF8.GetBytes(after)];
}
