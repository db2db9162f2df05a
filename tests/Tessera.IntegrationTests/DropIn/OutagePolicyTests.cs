using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>The outage policy an app chooses, and the stock session's contracts, with Redis really gone (issue 19).</summary>
public sealed class OutagePolicyTests
{
    private static void MapAvailability(WebApplication app)
    {
        // Written as an app on the stock session would: check IsAvailable, then read.
        app.MapGet("/page", (HttpContext ctx) =>
            Results.Text(ctx.Session.IsAvailable ? $"hello {ctx.Session.GetString("username") ?? "stranger"}" : $"unavailable [{ctx.Session.Id}] {ctx.Session.Keys.Count()}"));
        app.MapGet("/stock-catch", async (HttpContext ctx) =>
        {
            try
            {
                await ctx.Session.LoadAsync();
                return Results.Text("loaded");
            }
            catch (OperationCanceledException)
            {
                return Results.Text("caught as the stock session's timeout");
            }
        });
    }

    private static async Task<(RedisServerProcess Redis, TestApp App, CookieClient Client)> StartAsync(OutagePolicy policy, CapturingLoggerProvider? logs = null)
    {
        var redis = RedisServerProcess.Start();
        var app = await TestApp.StartAsync(
            redis.Endpoint,
            "policy:",
            o =>
            {
                o.OperationTimeout = TimeSpan.FromSeconds(1);
                o.OutagePolicy = policy;
            },
            map: MapAvailability,
            services: logs is null ? null : s => s.AddSingleton<ILoggerProvider>(logs));
        var client = app.CreateClient();
        Assert.True(await Eventually.WaitAsync(
            async () => (await client.PostTextAsync("/login?user=ada")).Status == HttpStatusCode.OK && (await client.GetTextAsync("/page")) == (HttpStatusCode.OK, "hello ada"),
            TimeSpan.FromSeconds(20)));
        redis.Dispose();
        return (redis, app, client);
    }

    [Fact]
    public async Task Fail_TheDefault_Answers503()
    {
        var (redis, app, client) = await StartAsync(OutagePolicy.Fail);
        await using (app)
        using (client)
        using (redis)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetTextAsync("/page")).Status);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostTextAsync("/set?k=a&v=b")).Status);
        }
    }

    [Fact]
    public async Task DegradeReads_RendersTheUnavailableSession_AndAWriteStillFailsLoudly()
    {
        var (redis, app, client) = await StartAsync(OutagePolicy.DegradeReads);
        await using (app)
        using (client)
        using (redis)
        {
            Assert.Equal((HttpStatusCode.OK, "unavailable [] 0"), await client.GetTextAsync("/page"));
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=username")).Status);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostTextAsync("/set?k=a&v=b")).Status);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostTextAsync("/login?user=bob")).Status);
        }
    }

    [Fact]
    public async Task DegradeFully_IsStockLike_EveryDroppedWriteIsLoggedAtError()
    {
        var logs = new CapturingLoggerProvider();
        var (redis, app, client) = await StartAsync(OutagePolicy.DegradeFully, logs);
        await using (app)
        using (client)
        using (redis)
        {
            Assert.Equal((HttpStatusCode.OK, "unavailable [] 0"), await client.GetTextAsync("/page"));
            var errorsBefore = logs.Lines.Count(l => l.Level == LogLevel.Error && l.Id.Id is 25 or 26);
            Assert.Equal((HttpStatusCode.OK, "set"), await client.PostTextAsync("/set?k=a&v=b"));
            Assert.True(logs.Lines.Count(l => l.Level == LogLevel.Error && l.Id.Id is 25 or 26) > errorsBefore, "a dropped write is logged at Error");
            // Atomic operations return values an app acts on: they still fail loudly.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetTextAsync("/view")).Status);
        }
    }

    [Fact]
    public async Task ALoadTimeout_IsCaughtByTheStockSessionsCatchOfOperationCanceledException()
    {
        var (redis, app, client) = await StartAsync(OutagePolicy.Fail);
        await using (app)
        using (client)
        using (redis)
        {
            Assert.Equal((HttpStatusCode.OK, "caught as the stock session's timeout"), await client.GetTextAsync("/stock-catch"));
        }
    }

    [Fact]
    public async Task ACancelledCommit_NeverSendsACreate_AndTheSessionIsCreatedOnce()
    {
        using var redis = RedisServerProcess.Start();
        await using var app = await TestApp.StartAsync(redis.Endpoint, "cancel:", map: a =>
            a.MapPost("/cancelled-commit", async (HttpContext ctx) =>
            {
                ctx.Session.SetString("a", "1");
                using var cancelled = new CancellationTokenSource();
                await cancelled.CancelAsync();
                try
                {
                    await ctx.Session.CommitAsync(cancelled.Token);
                }
                catch (OperationCanceledException)
                {
                }

                return Results.Text("ok");
            }));
        using var client = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "ok"), await client.PostTextAsync("/cancelled-commit"));
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/get?k=a"));
        var server = (await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{redis.Endpoint},allowAdmin=true")).GetServer(redis.Endpoint);
        var sessions = server.Keys(pattern: "cancel:*").Count(k => !k.ToString().Contains("user:", StringComparison.Ordinal));
        Assert.Equal(1, sessions);
    }
}
