using System.Runtime.CompilerServices;

namespace RawRelay.Tests.Infrastructure;

/// <summary>Every await in a test has a timeout that names the line it was waiting on.</summary>
internal static class TaskTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    /// <summary>How often <see cref="Eventually"/> looks again.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    public static async Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        await WaitOrThrow(task, timeout, file, line);
        return await task;
    }

    public static async Task WithTimeout(this Task task, TimeSpan? timeout = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        await WaitOrThrow(task, timeout, file, line);
        await task;
    }

    public static Task<T> WithTimeout<T>(this ValueTask<T> task, TimeSpan? timeout = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.AsTask().WithTimeout(timeout, file, line);

    public static Task WithTimeout(this ValueTask task, TimeSpan? timeout = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.AsTask().WithTimeout(timeout, file, line);

    /// <summary>Polls a condition (for state with no event to await, such as LIST) until it holds.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, TimeSpan? timeout = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? Default);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"condition still false after {(timeout ?? Default).TotalSeconds:0.#} s at {Path.GetFileName(file)}:{line}");
            await Task.Delay(PollInterval);
        }
    }

    private static async Task WaitOrThrow(Task task, TimeSpan? timeout, string file, int line)
    {
        TimeSpan limit = timeout ?? Default;
        if (await Task.WhenAny(task, Task.Delay(limit)) != task)
            throw new TimeoutException($"timed out after {limit.TotalSeconds:0.#} s at {Path.GetFileName(file)}:{line}");
    }
}
