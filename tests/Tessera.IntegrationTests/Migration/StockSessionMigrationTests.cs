using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.AspNetCore;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// An app on the stock <c>AddSession()</c> over <c>AddStackExchangeRedisCache()</c> writes sessions
/// into a real redis-server; the same app switched to Tessera with stock-session migration on reads
/// them back: values there, nobody logged out, the old entry and cookie gone.
/// </summary>
public sealed class StockSessionMigrationTests : IAsyncLifetime
{
    private const string StockCookie = StockSessionMigrationOptions.DefaultCookieName;
    private static readonly Uri Https = new("https://localhost/");
    private readonly string _keys = Path.Combine(Path.GetTempPath(), $"tessera-dp-{Guid.NewGuid():N}");
    private RedisServerProcess _redis = null!;
    private IConnectionMultiplexer _multiplexer = null!;

    private IDatabase Db => _multiplexer.GetDatabase();

    public async ValueTask InitializeAsync()
    {
        _redis = RedisServerProcess.Start();
        _multiplexer = await ConnectionMultiplexer.ConnectAsync($"{_redis.Endpoint},allowAdmin=true");
    }

    public async ValueTask DisposeAsync()
    {
        await _multiplexer.DisposeAsync();
        _redis.Dispose();
        if (Directory.Exists(_keys))
        {
            Directory.Delete(_keys, recursive: true);
        }
    }

    [Fact]
    public async Task SwitchToTessera_StockSessionValuesCarryOver_AndTheOldEntryGoes()
    {
        var cookies = new CookieContainer();
        await using (var stock = await StartAsync(tessera: false))
        {
            using var client = Client(stock, cookies);
            Assert.Equal("set", await PostAsync(client, "/set?k=user&v=ada"));
            Assert.Equal("set", await PostAsync(client, "/set?k=cart&v=%5B1%2C2%5D"));
            Assert.Equal("set", await PostAsync(client, "/set-int?k=visits&v=41"));
            Assert.Equal("ada", await client.GetStringAsync(new Uri("/get?k=user", UriKind.Relative)));
        }

        Assert.NotNull(cookies.GetCookies(Https)[StockCookie]);
        Assert.Single(await KeysAsync("stock:*"));

        await using var app = await StartAsync(tessera: true);
        using (var client = Client(app, cookies))
        {
            using var first = await client.GetAsync(new Uri("/get?k=user", UriKind.Relative));
            Assert.Equal("ada", await first.Content.ReadAsStringAsync());
            var setCookies = first.Headers.GetValues("Set-Cookie").ToList();
            Assert.Contains(setCookies, c => c.StartsWith(TesseraSessionOptions.DefaultCookieName + "=", StringComparison.Ordinal));
            Assert.Contains(setCookies, c => c.StartsWith(StockCookie + "=;", StringComparison.Ordinal) && c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase));

            // Later requests carry only the Tessera cookie and see every value, binary ones included.
            Assert.Null(cookies.GetCookies(Https)[StockCookie]);
            Assert.Equal("[1,2]", await client.GetStringAsync(new Uri("/get?k=cart", UriKind.Relative)));
            Assert.Equal("42", await PostAsync(client, "/incr-int?k=visits"));
            Assert.Equal("42", await client.GetStringAsync(new Uri("/get-int?k=visits", UriKind.Relative)));
        }

        Assert.Empty(await KeysAsync("stock:*"));
        var sessions = (await KeysAsync("tessera:*")).Where(k => !k.Contains(":migrated:", StringComparison.Ordinal)).ToList();
        Assert.Single(sessions);
    }

    [Fact]
    public async Task ParallelFirstRequests_AgreeOnOneTesseraSession()
    {
        var cookies = new CookieContainer();
        await using (var stock = await StartAsync(tessera: false))
        {
            using var client = Client(stock, cookies);
            await PostAsync(client, "/set?k=user&v=grace");
        }

        var stockCookie = cookies.GetCookies(Https)[StockCookie]!.Value;
        await using var app = await StartAsync(tessera: true);
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var raw = app.App.GetTestServer().CreateClient();
            raw.BaseAddress = Https;
            using var request = new HttpRequestMessage(HttpMethod.Get, "/get?k=user");
            request.Headers.Add("Cookie", $"{StockCookie}={stockCookie}");
            using var response = await raw.SendAsync(request);
            var tessera = response.Headers.TryGetValues("Set-Cookie", out var values)
                ? values.FirstOrDefault(c => c.StartsWith(TesseraSessionOptions.DefaultCookieName + "=", StringComparison.Ordinal))
                : null;
            return (Body: await response.Content.ReadAsStringAsync(), Cookie: tessera?.Split(';')[0]);
        }));

        Assert.All(responses, r => Assert.NotNull(r.Cookie));
        Assert.Single(responses.Select(r => r.Cookie).Distinct());
        Assert.All(responses, r => Assert.Equal("grace", r.Body));
        var sessions = (await KeysAsync("tessera:*")).Where(k => !k.Contains(":migrated:", StringComparison.Ordinal)).ToList();
        Assert.Single(sessions);
    }

    [Fact]
    public async Task RequestsWithoutTheStockCookie_SendNothingToRedis()
    {
        await using var app = await StartAsync(tessera: true);
        using var warm = Client(app, new CookieContainer());
        await PostAsync(warm, "/set?k=a&v=1");
        var counter = new CommandCounter(_redis.Port);

        var commands = await counter.MeasureAsync(async () =>
        {
            using var fresh = Client(app, new CookieContainer());
            Assert.Equal(HttpStatusCode.NotFound, (await fresh.GetAsync(new Uri("/get?k=a", UriKind.Relative))).StatusCode);
        });

        Assert.Empty(commands);
    }

    [Fact]
    public async Task ForgedOrStaleStockCookie_IsANewVisitor_AndTheCookieIsDeleted()
    {
        await using var app = await StartAsync(tessera: true);
        using var raw = app.App.GetTestServer().CreateClient();
        raw.BaseAddress = Https;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/get?k=user");
        request.Headers.Add("Cookie", $"{StockCookie}=CfDJ8forgedvalue");

        using var response = await raw.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(StockCookie + "=;", StringComparison.Ordinal));
        Assert.DoesNotContain(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(TesseraSessionOptions.DefaultCookieName, StringComparison.Ordinal));
    }

    private async Task<List<string>> KeysAsync(string pattern)
    {
        var server = _multiplexer.GetServer(_multiplexer.GetEndPoints()[0]);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: pattern))
        {
            keys.Add(key!);
        }

        return keys;
    }

    /// <summary>The same app, on the stock session or on Tessera, sharing Redis and the Data Protection key ring.</summary>
    private async Task<RunningApp> StartAsync(bool tessera)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddDataProtection().SetApplicationName("migration-test").PersistKeysToFileSystem(new DirectoryInfo(_keys));
        builder.Services.AddStackExchangeRedisCache(o =>
        {
            o.Configuration = _redis.Endpoint;
            o.InstanceName = "stock:";
        });
        if (tessera)
        {
            builder.Services.AddTessera(o =>
            {
                o.Configuration = _redis.Endpoint;
                o.KeyPrefix = "tessera:";
                o.StockSessionMigration.Enabled = true;
            });
        }
        else
        {
            builder.Services.AddSession(o => o.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.Always);
        }

        var app = builder.Build();
        if (tessera)
        {
            app.UseTessera();
        }
        else
        {
            app.UseSession();
        }

        // The app's endpoints use only ISession and its extension methods: the same code on both.
        app.MapGet("/get", async (HttpContext ctx, string k) =>
        {
            await ctx.Session.LoadAsync();
            return ctx.Session.GetString(k) is { } v ? Results.Text(v) : Results.NotFound();
        });
        app.MapGet("/get-int", async (HttpContext ctx, string k) =>
        {
            await ctx.Session.LoadAsync();
            return Results.Text(ctx.Session.GetInt32(k)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none");
        });
        app.MapPost("/set", (HttpContext ctx, string k, string v) =>
        {
            ctx.Session.SetString(k, v);
            return Results.Text("set");
        });
        app.MapPost("/set-int", (HttpContext ctx, string k, int v) =>
        {
            ctx.Session.SetInt32(k, v);
            return Results.Text("set");
        });
        app.MapPost("/incr-int", async (HttpContext ctx, string k) =>
        {
            await ctx.Session.LoadAsync();
            var n = (ctx.Session.GetInt32(k) ?? 0) + 1;
            ctx.Session.SetInt32(k, n);
            return Results.Text(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        await app.StartAsync();
        return new RunningApp(app);
    }

    private static HttpClient Client(RunningApp app, CookieContainer cookies)
    {
        var handler = new CookieContainerHandler(cookies) { InnerHandler = app.App.GetTestServer().CreateHandler() };
        return new HttpClient(handler) { BaseAddress = Https };
    }

    private static async Task<string> PostAsync(HttpClient client, string path)
    {
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), null);
        return await response.Content.ReadAsStringAsync();
    }

    private sealed class RunningApp(WebApplication app) : IAsyncDisposable
    {
        public WebApplication App { get; } = app;

        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }

    /// <summary>A browser's cookie jar over the test server's handler (shared between the two apps).</summary>
    private sealed class CookieContainerHandler(CookieContainer cookies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var header = cookies.GetCookieHeader(request.RequestUri!);
            if (header.Length > 0)
            {
                request.Headers.Add("Cookie", header);
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var values))
            {
                foreach (var value in values)
                {
                    cookies.SetCookies(request.RequestUri!, value);
                }
            }

            return response;
        }
    }
}
