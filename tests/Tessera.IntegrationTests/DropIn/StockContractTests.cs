using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// The behaviours ASP.NET Core's own session middleware tests pin down (dotnet/aspnetcore
/// src/Middleware/Session/test/SessionTests.cs), written anew against Tessera on a real redis-server:
/// what an app moving from <c>AddSession()</c> relies on. Where the stock tests degrade on a cache
/// failure, these run with <see cref="OutagePolicy.DegradeFully"/>. Log wording is Tessera's own.
/// </summary>
public sealed class StockContractTests(RedisFixture redis)
{
    private Task<TestApp> StartAsync(Action<WebApplication> map, Action<TesseraSessionOptions>? configure = null, Action<IServiceCollection>? services = null) =>
        TestApp.StartAsync(redis.Endpoint, redis.PrefixFor(), configure, map: map, services: services);

    [Fact]
    public async Task ReadingAnEmptySession_SetsNoCookie()
    {
        await using var app = await StartAsync(a => a.MapGet("/c/read", (HttpContext ctx) => Results.Text(ctx.Session.GetString("missing") ?? "none")));
        using var client = app.CreateRawClient();
        using var response = await client.GetAsync(new Uri("/c/read", UriKind.Relative));
        Assert.Equal("none", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task SettingAValue_SetsExactlyOneCookie()
    {
        await using var app = await StartAsync(a => a.MapGet("/c/set", (HttpContext ctx) =>
        {
            ctx.Session.SetString("Key", "Value");
            return Results.Text(ctx.Session.GetString("Key")!);
        }));
        using var client = app.CreateRawClient();
        using var response = await client.GetAsync(new Uri("/c/set", UriKind.Relative));
        Assert.Equal("Value", await response.Content.ReadAsStringAsync());
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.False(string.IsNullOrWhiteSpace(cookie));
    }

    [Theory]
    [InlineData(CookieSecurePolicy.Always, "http://localhost/c/set", true)]
    [InlineData(CookieSecurePolicy.Always, "https://localhost/c/set", true)]
    [InlineData(CookieSecurePolicy.SameAsRequest, "http://localhost/c/set", false)]
    [InlineData(CookieSecurePolicy.SameAsRequest, "https://localhost/c/set", true)]
    public async Task TheCookiesSecureFlag_FollowsTheSecurePolicy(CookieSecurePolicy policy, string url, bool secure)
    {
        await using var app = await StartAsync(
            a => a.MapGet("/c/set", (HttpContext ctx) =>
            {
                ctx.Session.SetString("Key", "Value");
                return Results.Text("ok");
            }),
            o =>
            {
                o.Cookie.Name = "TestCookie";
                o.Cookie.SecurePolicy = policy;
            });
        using var client = app.App.GetTestServer().CreateClient();
        using var response = await client.GetAsync(new Uri(url));
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("TestCookie=", cookie, StringComparison.Ordinal);
        Assert.Equal(secure, cookie.Contains("; secure", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task AValue_IsThereOnTheNextRequests()
    {
        await using var app = await StartAsync(a => a.MapGet("/c/count", (HttpContext ctx) =>
        {
            var value = ctx.Session.GetInt32("Key") ?? 0;
            ctx.Session.SetInt32("Key", value + 1);
            return Results.Text(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }));
        using var client = app.CreateClient();
        for (var n = 0; n < 4; n++)
        {
            Assert.Equal((HttpStatusCode.OK, n.ToString(System.Globalization.CultureInfo.InvariantCulture)), await client.GetTextAsync("/c/count"));
        }
    }

    [Fact]
    public async Task ARemovedValue_AndClearedValues_AreGoneOnTheNextRequest()
    {
        await using var app = await StartAsync(a =>
        {
            a.MapPost("/c/clear", (HttpContext ctx) =>
            {
                ctx.Session.Clear();
                return Results.Text("cleared");
            });
        });
        using var client = app.CreateClient();
        await client.PostTextAsync("/set?k=a&v=1");
        await client.PostTextAsync("/set?k=b&v=2");
        await client.PostTextAsync("/remove?k=a");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=a")).Status);
        Assert.Equal((HttpStatusCode.OK, "2"), await client.GetTextAsync("/get?k=b"));
        await client.PostTextAsync("/c/clear");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=b")).Status);
    }

    [Fact]
    public async Task AnExpiredSession_IsANewOne_AndIsLoggedAtInformation()
    {
        var logs = new CapturingLoggerProvider();
        await using var app = await StartAsync(
            a => { },
            o =>
            {
                o.IdleTimeout = TimeSpan.FromSeconds(1);
                o.SlideUntouchedSessions = false;
            },
            s => s.AddSingleton<ILoggerProvider>(logs));
        using var client = app.CreateClient();
        await client.PostTextAsync("/set?k=a&v=1");
        var key = app.Store.KeyFor(client.Cookie("__Host-Tessera")!);
        // Wait for Redis to expire it without touching it (a read would slide it).
        Assert.True(await Eventually.WaitAsync(async () => !await redis.Db.KeyExistsAsync(key), TimeSpan.FromSeconds(5)));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=a")).Status);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Information && l.Text.Contains("expired session", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task TheSessionFeature_IsRemovedAsTheResponseGoesOut_AlsoAfterAnUnhandledException()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<bool>();
        await using var app = await TestApp.StartAsync(
            redis.Endpoint,
            redis.PrefixFor(),
            map: a =>
            {
                a.MapGet("/c/ok", (HttpContext ctx) =>
                {
                    ctx.Session.SetString("key", "value");
                    return Results.Text("ok");
                });
                a.MapGet("/c/throw", (HttpContext ctx) => { ctx.Session.SetString("key", "value"); throw new InvalidOperationException("An error occurred."); });
            },
            beforeSession: a => a.Use(async (ctx, next) =>
            {
                try
                {
                    await next();
                }
                catch (InvalidOperationException)
                {
                }

                seen.Enqueue(ctx.Features.Get<ISessionFeature>() is null);
            }));
        using var client = app.CreateClient();
        await client.GetTextAsync("/c/ok");
        await client.GetTextAsync("/c/throw");
        Assert.Equal([true, true], seen.ToArray());
    }

    [Fact]
    public async Task Keys_AreCaseSensitive()
    {
        await using var app = await StartAsync(a => a.MapGet("/c/case", (HttpContext ctx) =>
        {
            ctx.Session.SetString("KEY", "VALUE");
            ctx.Session.SetString("key", "value");
            return Results.Text($"{ctx.Session.GetString("KEY")} {ctx.Session.GetString("key")}");
        }));
        using var client = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "VALUE value"), await client.GetTextAsync("/c/case"));
        Assert.Equal((HttpStatusCode.OK, "VALUE"), await client.GetTextAsync("/get?k=KEY"));
        Assert.Equal((HttpStatusCode.OK, "value"), await client.GetTextAsync("/get?k=key"));
    }

    [Fact]
    public async Task ACancelledLoad_ThrowsOperationCanceled_AndLogsNothing()
    {
        var logs = new CapturingLoggerProvider();
        await using var app = await StartAsync(
            a => a.MapGet("/c/cancelled-load", async (HttpContext ctx) =>
            {
                using var cts = new CancellationTokenSource();
                await cts.CancelAsync();
                try
                {
                    await ctx.Session.LoadAsync(cts.Token);
                    return Results.Text("loaded");
                }
                catch (OperationCanceledException)
                {
                    return Results.Text("cancelled");
                }
            }),
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var client = app.CreateClient();
        await client.PostTextAsync("/set?k=a&v=1");
        var before = logs.Lines.Count(l => l.Level >= LogLevel.Warning);
        Assert.Equal((HttpStatusCode.OK, "cancelled"), await client.GetTextAsync("/c/cancelled-load"));
        Assert.Equal(before, logs.Lines.Count(l => l.Level >= LogLevel.Warning));
    }

    [Fact]
    public async Task AnAbortedRequestToken_DoesNotStopTheEndOfRequestCommit()
    {
        await using var app = await StartAsync(a => a.MapPost("/c/aborted", (HttpContext ctx) =>
        {
            ctx.Session.SetInt32("key", 7);
            var cts = new CancellationTokenSource();
            cts.Cancel();
            ctx.RequestAborted = cts.Token;
            return Results.Text("ok");
        }));
        using var client = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "ok"), await client.PostTextAsync("/c/aborted"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetTextAsync("/get?k=key")).Status);
    }

    [Fact]
    public async Task StockLikeOutage_ReadsDegrade_TheWriteIsDropped_AndLoggedAtError_WithA200()
    {
        var server = RedisServerProcess.Start();
        var logs = new CapturingLoggerProvider();
        try
        {
            await using var app = await TestApp.StartAsync(
                server.Endpoint,
                "stock:",
                o =>
                {
                    o.OutagePolicy = OutagePolicy.DegradeFully;
                    o.OperationTimeout = TimeSpan.FromSeconds(1);
                },
                map: a => a.MapGet("/c/degraded", (HttpContext ctx) =>
                {
                    var found = ctx.Session.TryGetValue("key", out var value);
                    var text = $"{found}|{value is null}|[{ctx.Session.Id}]|{ctx.Session.Keys.Any()}|{ctx.Session.IsAvailable}";
                    ctx.Session.SetInt32("key", 0);
                    return Results.Text(text);
                }),
                services: s => s.AddSingleton<ILoggerProvider>(logs));
            using var client = app.CreateClient();
            Assert.True(await Eventually.WaitAsync(async () => (await client.PostTextAsync("/login?user=ada")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(20)));
            server.Dispose();
            Assert.Equal((HttpStatusCode.OK, "False|True|[]|False|False"), await client.GetTextAsync("/c/degraded"));
            Assert.Contains(logs.Lines, l => l.Level == LogLevel.Error);
        }
        finally
        {
            server.Dispose();
        }
    }
}
