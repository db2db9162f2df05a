using System.Runtime.InteropServices;
using Tessera.Demo;

// dotnet run --project samples/Tessera.Demo [-- --redis host:port] [--port 5000] [--instances 3]
if (!DemoSettings.TryParse(args, Environment.GetEnvironmentVariable, out var settings, out var error))
{
    if (error is null)
    {
        Console.WriteLine(DemoSettings.Usage);
        return 0;
    }

    Console.Error.WriteLine(error);
    Console.Error.WriteLine();
    Console.Error.WriteLine(DemoSettings.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();

// The first Ctrl+C or SIGTERM stops everything in order; a second one ends the process at once.
void OnSignal(PosixSignalContext context)
{
    if (!stop.IsCancellationRequested)
    {
        context.Cancel = true;
        stop.Cancel();
    }
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

Console.WriteLine(settings.Redis is null
    ? "Starting the Tessera demo with an embedded Garnet ..."
    : $"Starting the Tessera demo with Redis at {settings.Redis} ...");
DemoHost host;
try
{
    host = await DemoHost.StartAsync(settings, Console.Out, stop.Token);
}
catch (DemoStartException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}
catch (OperationCanceledException)
{
    Console.WriteLine("Stopped before it started.");
    return 130;
}

await using (host)
{
    Console.WriteLine();
    Console.WriteLine(host.EmbeddedRedis
        ? $"  Redis      embedded Garnet at {host.Redis} (in this process; its data goes when the demo stops)"
        : $"  Redis      {host.Redis}");
    foreach (var instance in host.Instances)
    {
        Console.WriteLine($"  {instance.Name,-10} {instance.Url}");
    }

    Console.WriteLine($"  proxy      round robin over {host.Instances.Count} instance(s), no sticky sessions");
    Console.WriteLine();
    Console.WriteLine($"  Open {host.Url}");
    Console.WriteLine();
    Console.WriteLine("  Press Ctrl+C to stop.");
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine("Stopping ...");
    }
}

Console.WriteLine("Stopped.");
return 0;
