namespace Tessera.Demo;

/// <summary>Console logging for the demo's hosts: quiet by default (warnings), every request with --verbose.</summary>
internal static class DemoLogging
{
    public static void Configure(ILoggingBuilder logging, DemoSettings settings, string name)
    {
        var verbose = settings.Verbose;
        logging.ClearProviders();
        if (settings.LogSink is { } sink)
        {
            logging.AddProvider(sink);
        }

        if (settings.Quiet)
        {
            return;
        }

        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = $"HH:mm:ss [{name}] ";
        });
        logging.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);

        // The key ring sits in Redis unencrypted on purpose (a demo); do not warn about it.
        logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", verbose ? LogLevel.Information : LogLevel.Error);
    }
}
