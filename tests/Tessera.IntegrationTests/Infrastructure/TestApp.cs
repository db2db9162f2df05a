using System.Globalization;
using Microsoft.AspNetCore.Builder;
using StackExchange.Redis;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// A real ASP.NET Core pipeline (TestServer) with Tessera, exposing the peers-bench contract and a
/// few generic endpoints the tests drive.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private static readonly Uri Https = new("https://localhost/");

    private TestApp(WebApplication app) => App = app;

    /// <summary>The running app.</summary>
    public WebApplication App { get; }

    /// <summary>The app's session store.</summary>
    public RedisSessionStore Store => App.Services.GetRequiredService<RedisSessionStore>();

    /// <summary>Starts an app against a Redis endpoint.</summary>
    /// <param name="redis">host:port.</param>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="configure">More option changes.</param>
    /// <param name="map">More endpoints.</param>
    /// <returns>The app.</returns>
    public static async Task<TestApp> StartAsync(string redis, string prefix, Action<TesseraSessionOptions>? configure = null, Action<WebApplication>? map = null, Action<IServiceCollection>? services = null, Action<WebApplication>? beforeSession = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TestOutputLoggerProvider());
        services?.Invoke(builder.Services);
        builder.Services.AddTessera(o =>
        {
            o.Configuration = redis;
            o.KeyPrefix = prefix;
            configure?.Invoke(o);
        });
        builder.Services.AddHealthChecks().AddTessera();
        var app = builder.Build();
        beforeSession?.Invoke(app);
        app.UseTessera();
        MapContract(app);
        map?.Invoke(app);
        await app.StartAsync();
        // Ready when connected: the app connects as it starts (TesseraWarmup); a test about sessions waits
        // for that (bounded; Redis may be down on purpose) instead of letting its first request pay the
        // connect out of its own 2 s bound on a busy box.
        try
        {
            await app.Services.GetRequiredService<RedisSessionStore>().Connection.ProbeAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or RedisException)
        {
        }

        return new TestApp(app);
    }

    /// <summary>A browser-like client with its own cookie jar.</summary>
    /// <returns>The client.</returns>
    public CookieClient CreateClient() => new(App.GetTestServer().CreateHandler(), Https);

    /// <summary>A client that never sends cookies and carries the session id in a header.</summary>
    /// <param name="headerName">The session header.</param>
    /// <returns>The client.</returns>
    public HeaderClient CreateHeaderClient(string headerName = TesseraSessionOptions.DefaultHeaderName) => new(App.GetTestServer().CreateHandler(), Https, headerName);

    /// <summary>A plain client that sends exactly the headers a test gives it.</summary>
    /// <returns>The client.</returns>
    public HttpClient CreateRawClient()
    {
        var client = App.GetTestServer().CreateClient();
        client.BaseAddress = Https;
        return client;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    private static async Task<IResult> AddToCart(HttpContext ctx, string item)
    {
        // Read-modify-write of one value: safe only under the session lock.
        await ctx.Session.LoadAsync();
        var cart = System.Text.Json.JsonSerializer.Deserialize<List<string>>(ctx.Session.GetString("cart") ?? "[]") ?? [];
        cart.Add(item);
        ctx.Session.SetString("cart", System.Text.Json.JsonSerializer.Serialize(cart));
        return Results.Text(cart.Count.ToString(CultureInfo.InvariantCulture));
    }

    private static void MapContract(WebApplication app)
    {
        app.MapGet("/health", () => Results.Text("ok"));
        app.MapHealthChecks("/healthz");
        app.MapPost("/login", async (HttpContext ctx, string? user) =>
        {
            if (string.IsNullOrEmpty(user))
            {
                return Results.BadRequest("user required");
            }

            var s = ctx.Session.AsTessera();
            await s.LoadAsync();
            s.Clear();
            s.SetString("username", user);
            s.Remove("page_views");
            return Results.Text("logged in");
        });
        app.MapGet("/view", async Task<IResult> (HttpContext ctx) =>
        {
            var n = await ctx.Session.AsTessera().TryIncrementAsync("page_views");
            return n is null ? Results.Text("no session", statusCode: 401) : Results.Text(n.Value.ToString(CultureInfo.InvariantCulture));
        });
        app.MapGet("/peek", async Task<IResult> (HttpContext ctx) =>
        {
            await ctx.Session.LoadAsync();
            var user = ctx.Session.GetString("username");
            return user is null ? Results.Text("no session", statusCode: 401) : Results.Text(user);
        });
        app.MapPost("/logout", async Task<IResult> (HttpContext ctx) =>
        {
            await ctx.Session.AsTessera().DestroyAsync();
            return Results.Text("logged out");
        });
        app.MapGet("/get", (HttpContext ctx, string k) =>
            ctx.Session.GetString(k) is { } v ? Results.Text(v) : Results.NotFound());
        app.MapPost("/set", (HttpContext ctx, string k, string v) =>
        {
            ctx.Session.SetString(k, v);
            return Results.Text("set");
        });
        app.MapPost("/remove", (HttpContext ctx, string k) =>
        {
            ctx.Session.Remove(k);
            return Results.Text("removed");
        });
        app.MapGet("/keys", (HttpContext ctx) => Results.Text(string.Join(",", ctx.Session.Keys.Order(StringComparer.Ordinal))));
        app.MapGet("/id", (HttpContext ctx) => Results.Text(ctx.Session.Id));
        app.MapPost("/incr", async (HttpContext ctx, string k) =>
            Results.Text((await ctx.Session.AsTessera().IncrementAsync(k)).ToString(CultureInfo.InvariantCulture)));
        app.MapGet("/read-nothing", (HttpContext ctx) => Results.Text("fine"));
        app.MapPost("/rotate", async Task<IResult> (HttpContext ctx) =>
        {
            var s = ctx.Session.AsTessera();
            await s.RotateAsync();
            return Results.Text("rotated");
        });
        app.MapPost("/signin", async (HttpContext ctx, string user) =>
        {
            var s = ctx.Session.AsTessera();
            await s.SignInAsync(user);
            s.SetString("username", user);
            return Results.Text("signed in");
        });
        app.MapGet("/devices", async Task<IResult> (HttpContext ctx) =>
        {
            var sessions = await ctx.Session.AsTessera().GetUserSessionsAsync();
            return Results.Json(sessions.Select(x => new { prefix = x.Handle[..8], ip = x.Metadata.ClientIp, agent = x.Metadata.UserAgent, current = x.Handle == SessionIds.Handle(ctx.Session.Id) }));
        });
        app.MapPost("/logout-others", async Task<IResult> (HttpContext ctx) =>
            Results.Text((await ctx.Session.AsTessera().RevokeOtherSessionsAsync()).ToString(CultureInfo.InvariantCulture)));
        app.MapPost("/ttl", (HttpContext ctx, int idleSeconds) =>
        {
            try
            {
                ctx.Session.AsTessera().SetTimeouts(idleTimeout: TimeSpan.FromSeconds(idleSeconds));
                return Results.Text("ok");
            }
            catch (ArgumentOutOfRangeException ex)
            {
                return Results.BadRequest(ex.Message);
            }
        });
        app.MapPost("/cart/add", (HttpContext ctx, string item) => AddToCart(ctx, item)).RequireSessionLock();
        app.MapPost("/cart/add-unlocked", (HttpContext ctx, string item) => AddToCart(ctx, item));
        app.MapGet("/cart", (HttpContext ctx) => Results.Text(ctx.Session.GetString("cart") ?? "[]", "application/json"));
        app.MapPost("/big", (HttpContext ctx, int bytes) =>
        {
            ctx.Session.Set("big", new byte[bytes]);
            return Results.Text("stored");
        });
    }
}
