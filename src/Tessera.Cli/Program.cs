using Tessera.Cli;
using Tessera.Cli.Infrastructure;

// Ctrl+C cancels the token (commands stop between batches and exit 130); a second Ctrl+C kills at once.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        cancellation.Cancel();
    }
};

return await TesseraCli.RunAsync(args, CliEnvironment.ForProcess(cancellation.Token)).ConfigureAwait(false);
