using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace RawRelay.Tests.Infrastructure;

/// <summary>
/// Watches one relay's log (a <see cref="RelayFixture"/>'s or a <see cref="RelayProcess"/>'s) for lines of
/// level ERROR. The relay logs ERROR only for what should never happen (an exception nobody expected), so
/// every test fails when its relay logged one that the test did not declare with <see cref="Expect"/>:
/// <see cref="CheckRelayLogsAttribute"/> looks after every test at the relays started by that test or by
/// its fixture, and <see cref="Close"/> looks once more when the relay is disposed. Thread-safe.
/// </summary>
internal sealed partial class ErrorLog
{
    private static readonly ConcurrentDictionary<ErrorLog, byte> Open = new();

    /// <summary>Unexpected ERROR lines found when a relay was disposed inside a test, reported by that test's teardown.</summary>
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Reported = new();

    private readonly Lock _gate = new();
    private readonly Func<string> _read;
    private readonly string _what;
    private readonly List<Regex> _expected = [];
    private readonly List<string> _unexpected = [];
    private int _linesChecked;

    private ErrorLog(Func<string> read, string what)
    {
        _read = read;
        _what = what;
        Owner = TestContext.CurrentContext.Test.ID;
    }

    /// <summary>The NUnit id of the test (or fixture, for a relay started in a one-time set-up) that started the relay.</summary>
    public string Owner { get; }

    /// <summary>Starts watching the log that <paramref name="read"/> returns (all of it so far, whole lines).</summary>
    public static ErrorLog Watch(Func<string> read, string what)
    {
        var log = new ErrorLog(read, what);
        Open[log] = 0;
        return log;
    }

    /// <summary>ERROR lines that match <paramref name="pattern"/> are expected from now on, for the rest of this relay's life.</summary>
    public void Expect(Regex pattern)
    {
        lock (_gate)
            _expected.Add(pattern);
    }

    /// <summary>
    /// The relay is gone: a last look. Inside a test the unexpected lines go to that test's teardown (so that
    /// they never hide the exception a failing test is throwing); elsewhere (a one-time tear-down) they throw.
    /// </summary>
    public void Close()
    {
        Open.TryRemove(this, out _);
        string? failure = TakeFailure();
        if (failure is null)
            return;
        if (TestContext.CurrentContext.Test.MethodName is not null)
            Reported.GetOrAdd(TestContext.CurrentContext.Test.ID, _ => new ConcurrentQueue<string>()).Enqueue(failure);
        else
            throw new AssertionException(failure);
    }

    /// <summary>What every test's teardown checks: the relays of the test and of its fixtures logged no unexpected ERROR.</summary>
    internal static void AfterTest(ITest test)
    {
        var owners = new HashSet<string>(StringComparer.Ordinal);
        for (ITest? t = test; t is not null; t = t.Parent)
            owners.Add(t.Id);
        var failures = new List<string>();
        if (Reported.TryRemove(test.Id, out ConcurrentQueue<string>? reported))
            failures.AddRange(reported);
        foreach (ErrorLog log in Open.Keys)
        {
            if (owners.Contains(log.Owner) && log.TakeFailure() is { } failure)
                failures.Add(failure);
        }

        // Recorded as a teardown failure, which keeps the test's own failure, if any (an exception thrown
        // here would replace it).
        if (failures.Count > 0)
            TestExecutionContext.CurrentContext.CurrentResult.RecordTearDownException(new AssertionException(string.Join("\n", failures)));
    }

    /// <summary>The unexpected ERROR lines logged since the last look, as a failure message; null when none.</summary>
    internal string? TakeFailure()
    {
        string[] lines = _read().Split('\n');
        lock (_gate)
        {
            // The last piece may be a line still being written (or the empty rest after the last LF).
            int complete = lines.Length - 1;
            int found = _unexpected.Count;
            for (int i = _linesChecked; i < complete; i++)
            {
                string line = lines[i].TrimEnd('\r');
                if (ErrorLine().IsMatch(line) && !_expected.Any(pattern => pattern.IsMatch(line)))
                    _unexpected.Add(line);
            }

            _linesChecked = Math.Max(_linesChecked, complete);
            if (_unexpected.Count == found)
                return null;
            return $"{_what} logged {_unexpected.Count - found} unexpected ERROR line(s) (declare expected ones with ExpectErrors):\n" +
                string.Join("\n", _unexpected.Skip(found));
        }
    }

    /// <summary>A log line of level ERROR: a timestamp, then the level; or a JSON line (--log-format json) of level error.</summary>
    [GeneratedRegex(@"^(\d{4}-\d\d-\d\dT\S+ ERROR |\{""time"":""[^""]*"",""level"":""error"")")]
    private static partial Regex ErrorLine();
}

/// <summary>After every test: the relays it (or its fixture) started logged no unexpected ERROR (see <see cref="ErrorLog"/>).</summary>
[AttributeUsage(AttributeTargets.Assembly)]
internal sealed class CheckRelayLogsAttribute : Attribute, ITestAction
{
    public ActionTargets Targets => ActionTargets.Test;

    public void BeforeTest(ITest test)
    {
    }

    public void AfterTest(ITest test) => ErrorLog.AfterTest(test);
}
