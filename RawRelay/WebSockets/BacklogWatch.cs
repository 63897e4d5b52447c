namespace RawRelay.WebSockets;

/// <summary>
/// Once a second, cuts off the clients whose send queue has not been empty for <c>--send-timeout</c>: a
/// client that reads nothing, or too little to ever catch up, holds its queue only that long. Thread-safe.
/// </summary>
internal static class BacklogWatch
{
    public static async Task RunAsync(ConnectionContext context, CancellationToken ct)
    {
        if (context.Options.SendTimeout <= TimeSpan.Zero)
            return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                using (SendScheduler.Cork())
                {
                    foreach (WebSocketConnection connection in context.Live.Snapshot())
                        connection.CheckBacklog(now);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
