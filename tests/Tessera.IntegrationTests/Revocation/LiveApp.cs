using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>A hub that says who its caller is.</summary>
public sealed class WhoHub : Hub
{
    /// <summary>The caller's name.</summary>
    /// <returns>The name, or <c>anonymous</c>.</returns>
    public string Whoami() => Context.User?.Identity?.IsAuthenticated == true ? Context.User.Identity.Name! : "anonymous";
}

/// <summary>
/// One app instance on a loopback port (Kestrel): cookie logins in Tessera's ticket store, a SignalR hub
/// with Tessera's revalidation. Instances built with the same Redis, prefix and key ring are one farm.
/// </summary>
public sealed class LiveApp : IAsyncDisposable
{
    private LiveApp(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
    }

    /// <summary>The running app.</summary>
    public WebApplication App { get; }

    /// <summary>Its base address.</summary>
    public Uri Address { get; }

    /// <summary>Its store.</summary>
    public RedisSessionStore Store => App.Services.GetRequiredService<RedisSessionStore>();

    /// <summary>Starts an instance.</summary>
    /// <param name="redis">host:port.</param>
    /// <param name="prefix">The key prefix the farm shares.</param>
    /// <param name="keys">The Data Protection key ring the farm shares (the auth cookie works on every instance).</param>
    /// <param name="interval">The revalidation interval.</param>
    /// <returns>The instance.</returns>
    public static async Task<LiveApp> StartAsync(string redis, string prefix, IDataProtectionProvider keys, TimeSpan interval)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(keys);
        builder.Services.AddTessera(o =>
        {
            o.Configuration = redis;
            o.KeyPrefix = prefix;
        });
        CookieLogins.Add(builder.Services);
        builder.Services.AddSignalR().AddTesseraHubRevalidation(o => o.Interval = interval);
        var app = builder.Build();
        app.UseTessera();
        CookieLogins.Map(app);
        app.MapHub<WhoHub>("/hub");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LiveApp(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>A browser-like client of the farm (cookies are per host, not per port, so it is signed in on every instance).</summary>
    /// <param name="cookies">The cookie jar.</param>
    /// <returns>The client.</returns>
    public HttpClient Client(CookieContainer cookies) =>
        new(new SocketsHttpHandler { CookieContainer = cookies, UseCookies = true }) { BaseAddress = Address };

    /// <summary>A SignalR connection to this instance's hub over WebSockets, with the jar's cookies.</summary>
    /// <param name="cookies">The cookie jar.</param>
    /// <returns>The connection, not started.</returns>
    public HubConnection Hub(CookieContainer cookies) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(Address, "hub"), o =>
            {
                o.Cookies = cookies;
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .Build();

    /// <summary>How many connections this instance watches.</summary>
    public int Watched => App.Services.GetRequiredService<LiveConnectionRegistry>().Count;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
