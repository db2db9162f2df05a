using System.Net;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;

namespace Tessera.Demo;

/// <summary>The round-robin reverse proxy (YARP) in front of the instances, with no session affinity.</summary>
internal static class ProxyServer
{
    /// <summary>The largest request body the demo takes, at the proxy and at each instance.</summary>
    public const int MaxRequestBodyBytes = 256 * 1024;

    private const string TooLargePage =
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Request too large</title>" +
        "<h1>Request too large</h1><p>This demo takes requests of at most 256 KiB. <a href=\"/\">Go back</a> and send a shorter form.</p></html>";

    /// <summary>Starts the proxy on <paramref name="port"/>, or on a free port when that one is taken.</summary>
    /// <param name="port">The wanted port; 0 for any.</param>
    /// <param name="instances">The instances, listening.</param>
    /// <param name="settings">The demo settings (logging).</param>
    /// <param name="log">Where to say that the port was taken.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running proxy and its port.</returns>
    public static async Task<(WebApplication App, int Port)> StartAsync(
        int port, IReadOnlyList<InstanceInfo> instances, DemoSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        try
        {
            return await StartOnAsync(port, instances, settings, cancellationToken);
        }
        catch (IOException ex) when (port != 0)
        {
            await log.WriteLineAsync($"Port {port} is taken ({ex.Message}); using a free port instead.");
            return await StartOnAsync(0, instances, settings, cancellationToken);
        }
    }

    private static async Task<(WebApplication App, int Port)> StartOnAsync(
        int port, IReadOnlyList<InstanceInfo> instances, DemoSettings settings, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "Tessera.Demo.Proxy",
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Services.AddSingleton<IHostLifetime, ManualLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            k.Listen(IPAddress.Loopback, port);
        });
        DemoLogging.Configure(builder.Logging, settings, "proxy");
        builder.Logging.AddFilter("Yarp", settings.Verbose ? LogLevel.Information : LogLevel.Warning);

        // The pages' live streams (/api/live) take turns among the instances on their own, so that
        // holding one open does not shift which instance serves the page's next click.
        RouteConfig[] routes =
        [
            new() { RouteId = "all", ClusterId = "apps", Match = new RouteMatch { Path = "{**catch-all}" } },
            new() { RouteId = "live", ClusterId = "live", Match = new RouteMatch { Path = "/api/live" } },
        ];
        ClusterConfig[] clusters = [Cluster("apps", instances), Cluster("live", instances)];
        builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);

        var app = builder.Build();

        // Refuse an oversized body here, with a page that says so, rather than forward part of it.
        app.Use(static (ctx, next) =>
        {
            if (ctx.Request.ContentLength > MaxRequestBodyBytes)
            {
                ctx.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                ctx.Response.ContentType = "text/html; charset=utf-8";
                ctx.Response.Headers.Connection = "close";
                return ctx.Response.WriteAsync(TooLargePage);
            }

            return next(ctx);
        });
        app.MapReverseProxy();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return (app, DemoInstance.BoundPort(app));
    }

    private static ClusterConfig Cluster(string id, IReadOnlyList<InstanceInfo> instances) => new()
    {
        ClusterId = id,
        LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
        Destinations = instances.ToDictionary(
            static i => i.Name,
            static i => new DestinationConfig { Address = i.Url.ToString() }),
    };
}
