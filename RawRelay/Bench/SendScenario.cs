using System.Text;

namespace RawRelay.Bench;

/// <summary>
/// Targeted sends: <c>--send-commands</c> <c>SEND MESSAGE c&lt;random&gt;</c> commands written at once;
/// commands per second = commands / (first byte written to last frame received).
/// </summary>
internal static class SendScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        (ClientPool pool, _) = await context.ConnectAsync("send").ConfigureAwait(false);
        int count = context.Options.SendCommands;
        int clients = context.Options.Clients;
        var commands = new StringBuilder();
        string payload = context.Payload();
        long expected = 0;
        var random = new Random();
        for (int i = 0; i < count; i++)
        {
            int id = random.Next(clients);
            if (pool.IsOpenAt(id))
                expected++;
            commands.Append("SEND MESSAGE c").Append(id).Append(' ').Append(payload).Append('\n');
        }

        double? seconds = await context.PipelineAsync("send", pool, BenchContext.Ascii(commands), count, expected).ConfigureAwait(false);
        if (seconds is { } s)
        {
            context.Report.Add($"SEND MESSAGE commands per second ({count:#,0} pipelined, random ids of {clients:#,0})",
                count / s, "/s", "send_cmds_per_s");
        }

        await context.DrainAsync(pool).ConfigureAwait(false);
    }
}
