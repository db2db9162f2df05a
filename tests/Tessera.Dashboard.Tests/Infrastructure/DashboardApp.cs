using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore;

namespace Tessera.Dashboard.Tests;

/// <summary>
/// A real app on Kestrel (a free loopback port) with Tessera, analytics and the dashboard at
/// <c>/admin/sessions</c>, protected by the policy "operators" (role operator). <c>/signin/{user}</c>
/// signs the caller in; <c>/whoami</c> says who the session belongs to, or "new visitor".
/// </summary>
public sealed class DashboardApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardApp(WebApplication app, Uri url, string prefix)
    {
        _app = app;
        Url = url;
        Prefix = prefix;
    }

    public Uri Url { get; }

    public string Prefix { get; }

    public IServiceProvider Services => _app.Services;

    public RedisSessionStore Store => _app.Services.GetRequiredService<RedisSessionStore>();

    public static async Task<DashboardApp> StartAsync(string redis, string prefix, Action<DashboardOptions>? dashboard = null, bool eventStream = true, string environment = "Production")
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment, Args = [] });
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddTessera(o =>
        {
            o.Configuration = redis;
            o.KeyPrefix = prefix;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        builder.Services.AddTesseraAnalytics(o => o.EventStream = eventStream);
        builder.Services.AddTesseraDashboard(o =>
        {
            o.AuthorizationPolicy = "operators";
            o.Scan.PauseEvery = 0;

            // The assembly's tests share one redis-server, each under its own prefix: a sampled overview
            // would estimate over every test's keys. Tests of the sample set OverviewSampleKeys themselves.
            o.OverviewSampleKeys = 0;
            dashboard?.Invoke(o);
        });
        builder.Services.AddAuthentication(OperatorAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, OperatorAuthentication>(OperatorAuthentication.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddPolicy("operators", p => p.RequireRole("operator")));

        var app = builder.Build();
        app.UseTessera();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/signin/{user}", static async (HttpContext ctx, string user) =>
        {
            await ctx.Session.LoadAsync();
            await ctx.Session.AsTessera().SignInAsync(user);
            return "signed in as " + user;
        });
        app.MapGet("/whoami", static async (HttpContext ctx) =>
        {
            await ctx.Session.LoadAsync();
            return ctx.Session.AsTessera().UserId ?? "new visitor";
        });
        app.MapTesseraDashboard("/admin/sessions");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new DashboardApp(app, new Uri(address), prefix);
    }

    /// <summary>An HTTP client signed in as the operator (or anonymous), with its own cookie jar.</summary>
    public HttpClient Client(bool asOperator = true)
    {
        var cookies = new CookieContainer();
        if (asOperator)
        {
            cookies.Add(Url, new Cookie(OperatorAuthentication.CookieName, OperatorAuthentication.CookieValue));
        }

        return new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = Url };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
