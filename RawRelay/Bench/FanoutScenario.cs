using System.Text;

namespace RawRelay.Bench;

/// <summary>
/// Broadcast: <c>--messages</c> <c>BROADCAST MESSAGE</c> commands of <c>--payload-bytes</c> written to the
/// control socket at once; deliveries per second = clients x messages / (first byte written to last frame
/// received).
/// </summary>
internal static class FanoutScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        (ClientPool pool, _) = await context.ConnectAsync("broadcast").ConfigureAwait(false);
        int messages = context.Options.Messages;
        var commands = new StringBuilder();
        string payload = context.Payload();
        for (int i = 0; i < messages; i++)
            commands.Append("BROADCAST MESSAGE ").Append(payload).Append('\n');
        long expected = (long)pool.Open * messages;
        double? seconds = await context.PipelineAsync("broadcast", pool, BenchContext.Ascii(commands), messages, expected).ConfigureAwait(false);
        if (seconds is { } s)
        {
            context.Report.Add($"broadcast deliveries per second ({context.Options.Clients:#,0} clients, {messages} x {context.Options.PayloadBytes} B pipelined)",
                expected / s, "/s", "broadcast_deliveries_per_s");
        }

        await context.DrainAsync(pool).ConfigureAwait(false);
    }
}
