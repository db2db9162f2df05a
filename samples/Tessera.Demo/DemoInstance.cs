using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Tessera.Demo;

/// <summary>
/// One app instance: its own Kestrel server on a free loopback port, its own service container and
/// its own Tessera connection. It shares nothing with the other instances but Redis.
/// </summary>
internal static class DemoInstance
{
    /// <summary>The application name every instance shares, so their data-protection keys (antiforgery) match.</summary>
    public const string ApplicationName = "Tessera.Demo";

    /// <summary>The Redis list that holds the data-protection key ring every instance shares.</summary>
    public const string DataProtectionKeysKey = "tessera-demo:data-protection-keys";

    /// <summary>Builds and starts an instance.</summary>
    /// <param name="info">Its name and number; its port is set once it listens.</param>
    /// <param name="all">Every instance (shown on the page).</param>
    /// <param name="settings">The demo settings.</param>
    /// <param name="redis">The Redis configuration.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running app.</returns>
    public static async Task<WebApplication> StartAsync(
        InstanceInfo info, IReadOnlyList<InstanceInfo> all, DemoSettings settings, string redis, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = ApplicationName,
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Services.AddSingleton<IHostLifetime, ManualLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = ProxyServer.MaxRequestBodyBytes;
            k.Listen(IPAddress.Loopback, 0);
        });
        DemoLogging.Configure(builder.Logging, settings, info.Name);

        builder.Services.AddSingleton(info);
        builder.Services.AddSingleton(all);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<SessionReader>();
        builder.Services.AddSingleton<DemoAccounts>();
        builder.Services.AddTessera(o =>
        {
            o.Configuration = redis;
            o.IdleTimeout = settings.IdleTimeout;
            o.AbsoluteTimeout = settings.AbsoluteTimeout;

            // Small on purpose, so the limit shows: a 4th device is refused (or, with evict, the oldest goes).
            o.MaxSessionsPerUser = settings.MaxDevicesPerUser;
            o.SessionLimitPolicy = settings.DeviceLimitPolicy;

            // The demo serves plain http on 127.0.0.1; a real app keeps the default (Secure always).
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        builder.Services.AddHealthChecks().AddTessera();

        // The operators' dashboard at /admin: analytics counted by an observer, lifecycle events in a
        // capped stream (where the server has streams), and the policy every dashboard endpoint needs.
        builder.Services.AddTesseraAnalytics(o => o.EventStream = true);
        builder.Services.AddTesseraDashboard(o => o.AuthorizationPolicy = DemoOperatorAuthentication.PolicyName);
        // Two schemes: the operators' (for /admin, named by its policy) and the step-up challenge, the
        // default one, that RequireRecentAuthentication sends to the password confirmation.
        builder.Services.AddAuthentication(o => o.DefaultChallengeScheme = DemoStepUpAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, DemoOperatorAuthentication>(DemoOperatorAuthentication.SchemeName, null)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, DemoStepUpAuthentication>(DemoStepUpAuthentication.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddPolicy(DemoOperatorAuthentication.PolicyName, p => p
            .AddAuthenticationSchemes(DemoOperatorAuthentication.SchemeName)
            .RequireRole(DemoOperatorAuthentication.OperatorRole)));
        DemoTelemetry.Configure(builder.Services, settings, info.Name);
        // The data-protection key ring (antiforgery tokens, auth cookies) in Redis, shared by every
        // instance: the official Microsoft.AspNetCore.DataProtection.StackExchangeRedis repository (what
        // PersistKeysToStackExchangeRedis registers), over the instance's own Tessera connection.
        builder.Services.AddDataProtection().SetApplicationName(ApplicationName);
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(static sp =>
            new ConfigureOptions<KeyManagementOptions>(o =>
                o.XmlRepository = new Microsoft.AspNetCore.DataProtection.StackExchangeRedis.RedisXmlRepository(
                    () => sp.GetRequiredService<TesseraConnection>().GetDatabase(), DataProtectionKeysKey)));
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "tessera-demo-antiforgery";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__antiforgery";
        });
        builder.Services.Configure<FormOptions>(o =>
        {
            o.ValueCountLimit = 32;
            o.ValueLengthLimit = 64 * 1024;
            o.KeyLengthLimit = 256;
        });
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);

        var app = builder.Build();
        app.UseExceptionHandler(static error => error.Run(static ctx => ErrorPage.WriteAsync(ctx)));
        app.UseForwardedHeaders();
        app.Use((ctx, next) =>
        {
            var headers = ctx.Response.Headers;
            headers["X-Tessera-Instance"] = info.Label;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return next(ctx);
        });
        app.UseTessera();
        app.UseAuthentication(); // after UseTessera: the operator scheme reads the session
        app.UseAuthorization();
        DemoEndpoints.Map(app, settings);
        app.MapTesseraDashboard(DemoOperatorAuthentication.DashboardPath);
        app.MapPrometheusScrapingEndpoint("/metrics");

        // Make sure a data-protection key exists before the next instance starts, so they all use
        // the same one (instances start one after another).
        app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("warm-up").Protect([1]);

        await app.StartAsync(cancellationToken);
        info.Port = BoundPort(app);
        return app;
    }

    /// <summary>The port a started app listens on.</summary>
    /// <param name="app">The app.</param>
    /// <returns>The port.</returns>
    public static int BoundPort(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        var first = addresses.FirstOrDefault() ?? throw new InvalidOperationException("The server reports no address.");
        return new Uri(first).Port;
    }
}
