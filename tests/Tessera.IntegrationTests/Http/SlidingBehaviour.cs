using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// Endpoints that don't slide (<see cref="NoSessionSlidingAttribute"/>, <c>WithoutSessionSliding()</c>)
/// and the time left (<see cref="ITesseraSession.TimeLeft"/>): a poll reads the session and its expiry
/// without moving either, an ordinary endpoint still slides. Time is moved by writing an older last
/// access into Redis (as an idle user would leave it) and by the app's clock, never by waiting.
/// </summary>
public abstract class SlidingBehaviour(ServerFixture server)
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(10);

    protected ServerFixture Server { get; } = server;

    private Task<TestApp> StartAppAsync(TimeProvider? clock = null, bool mvc = false) =>
        TestApp.StartAsync(
            Server.Endpoint,
            Server.PrefixFor(),
            o =>
            {
                o.IdleTimeout = Idle;
                // Every read is due for a refresh: an endpoint that slides always does.
                o.RefreshGranularity = TimeSpan.FromMilliseconds(1);
            },
            map: app =>
            {
                app.MapGet("/left", Task<IResult> (HttpContext ctx) => Left(ctx)).WithoutSessionSliding();
                app.MapGet("/left-attribute", [NoSessionSliding] Task<IResult> (HttpContext ctx) => Left(ctx));
                app.MapGet("/left-sliding", Task<IResult> (HttpContext ctx) => Left(ctx));
                app.MapGet("/nothing-still", () => Results.Text("fine")).WithoutSessionSliding();
                app.MapPost("/set-still", (HttpContext ctx, string k, string v) =>
                {
                    ctx.Session.SetString(k, v);
                    return Results.Text("set");
                }).WithoutSessionSliding();
                if (mvc)
                {
                    app.MapControllers();
                }
            },
            services: s =>
            {
                if (clock is not null)
                {
                    s.AddSingleton(clock);
                }

                if (mvc)
                {
                    s.AddControllers().AddApplicationPart(typeof(SlidingTestController).Assembly);
                }
            });

    /// <summary>expires|absolute|left in ms (unix ms for the first two), or 401 with no session.</summary>
    internal static async Task<IResult> Left(HttpContext ctx)
    {
        var s = ctx.GetTesseraSession();
        await s.LoadAsync();
        return s.ExpiresAt is { } expires
            ? Results.Text(string.Create(CultureInfo.InvariantCulture, $"{expires.ToUnixTimeMilliseconds()}|{s.AbsoluteExpiresAt!.Value.ToUnixTimeMilliseconds()}|{(long)s.TimeLeft!.Value.TotalMilliseconds}"))
            : Results.Text("no session", statusCode: 401);
    }

    private static long[] Parse(string body) => [.. body.Split('|').Select(static p => long.Parse(p, CultureInfo.InvariantCulture))];

    /// <summary>A session whose last access Redis holds as <paramref name="ago"/> earlier, with the TTL that goes with it.</summary>
    private async Task<(RedisKey Key, long LastAccess)> IdleSessionAsync(TestApp app, CookieClient client, TimeSpan ago)
    {
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/login?user=ada")).Status);
        var key = app.Store.KeyFor(client.Cookie("__Host-Tessera")!);
        var last = (long)await Server.Db.HashGetAsync(key, "#a") - (long)ago.TotalMilliseconds;
        await Server.Db.HashSetAsync(key, "#a", last);
        await Server.Db.KeyExpireAsync(key, DateTimeOffset.FromUnixTimeMilliseconds(last + (long)Idle.TotalMilliseconds).UtcDateTime);
        return (key, last);
    }

    /// <summary>The session's last access, read through the app's own connection: after every command the app sent before.</summary>
    private static async Task<long> LastAccessSeenByTheAppAsync(TestApp app, RedisKey key) =>
        (long)await (await app.Store.Connection.GetDatabaseAsync()).HashGetAsync(key, "#a");

    [Fact]
    public async Task NonSlidingEndpoint_PolledRepeatedly_NeverMovesTheExpiry_WhileAnOrdinaryOneDoes()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        var (key, last) = await IdleSessionAsync(app, client, TimeSpan.FromMinutes(3));
        var ttl = (await Server.Db.KeyTimeToLiveAsync(key))!.Value;
        Assert.InRange(ttl, TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(7));

        foreach (var path in new[] { "/left", "/left-attribute", "/left", "/nothing-still", "/left", "/nothing-still" })
        {
            var (status, body) = await client.GetTextAsync(path);
            Assert.Equal(HttpStatusCode.OK, status);
            if (path != "/nothing-still")
            {
                // The expiry it reports is the one Redis holds: last access + idle timeout.
                Assert.Equal(last + (long)Idle.TotalMilliseconds, Parse(body)[0]);
            }
        }

        // Read after every command the app sent for those requests: no refresh among them.
        Assert.Equal(last, await LastAccessSeenByTheAppAsync(app, key));
        Assert.True((await Server.Db.KeyTimeToLiveAsync(key))!.Value <= ttl, "a poll must not lengthen the TTL");

        // An ordinary endpoint slides: it reports the moved expiry, and Redis gets it.
        var (_, slid) = await client.GetTextAsync("/left-sliding");
        Assert.True(Parse(slid)[0] > last + (long)Idle.TotalMilliseconds + (long)TimeSpan.FromMinutes(2).TotalMilliseconds, slid);
        Assert.True(await Eventually.WaitAsync(async () => await LastAccessSeenByTheAppAsync(app, key) > last, TimeSpan.FromSeconds(5)), "the ordinary endpoint's refresh never reached Redis");
        Assert.InRange((await Server.Db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromMinutes(9), Idle);
    }

    [Fact]
    public async Task NonSlidingEndpoint_ThatWrites_StillSlides()
    {
        // A write is activity: the commit writes the last access with the values.
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        var (key, last) = await IdleSessionAsync(app, client, TimeSpan.FromMinutes(3));
        Assert.Equal((HttpStatusCode.OK, "set"), await client.PostTextAsync("/set-still?k=a&v=1"));
        Assert.True(await LastAccessSeenByTheAppAsync(app, key) > last);
    }

    [Fact]
    public async Task TimeLeft_IsTheSoonerExpiryLessTheAppsClock()
    {
        var clock = new ShiftedClock();
        await using var app = await StartAppAsync(clock);
        using var client = app.CreateClient();
        var (key, last) = await IdleSessionAsync(app, client, TimeSpan.FromMinutes(3));
        var deadline = (long)await Server.Db.HashGetAsync(key, "#d");
        var idleExpiry = last + (long)Idle.TotalMilliseconds;

        // The app's clock one minute ahead: a minute less is left.
        clock.Shift = TimeSpan.FromMinutes(1);
        var before = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var (status, body) = await client.GetTextAsync("/left");
        var after = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(HttpStatusCode.OK, status);
        var seen = Parse(body);
        Assert.Equal(idleExpiry, seen[0]);
        Assert.Equal(deadline, seen[1]);
        Assert.InRange(seen[2], idleExpiry - after - 1, idleExpiry - before);

        // Near its absolute deadline, the deadline is what is left.
        var soon = last + (long)TimeSpan.FromMinutes(5).TotalMilliseconds;
        await Server.Db.HashSetAsync(key, "#d", soon);
        await Server.Db.KeyExpireAsync(key, DateTimeOffset.FromUnixTimeMilliseconds(soon).UtcDateTime);
        before = clock.GetUtcNow().ToUnixTimeMilliseconds();
        (_, body) = await client.GetTextAsync("/left");
        after = clock.GetUtcNow().ToUnixTimeMilliseconds();
        seen = Parse(body);
        Assert.Equal(soon, seen[0]);
        Assert.Equal(soon, seen[1]);
        Assert.InRange(seen[2], soon - after - 1, soon - before);

        // Past it by the app's clock: nothing is left (and the session is not served).
        clock.Shift = TimeSpan.FromMinutes(30);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/left")).Status);
    }

    [Fact]
    public async Task NoSession_HasNoTimeLeft_AndAPollCreatesNothing()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/left")).Status);
        Assert.Null(client.Cookie("__Host-Tessera"));
    }

    [Fact]
    public async Task MvcAction_MarkedNoSessionSliding_DoesNotSlide_AnUnmarkedOneDoes()
    {
        await using var app = await StartAppAsync(mvc: true);
        using var client = app.CreateClient();
        var (key, last) = await IdleSessionAsync(app, client, TimeSpan.FromMinutes(3));
        var (status, body) = await client.GetTextAsync("/mvc-sliding/still");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(last + (long)Idle.TotalMilliseconds, Parse(body)[0]);
        Assert.Equal((HttpStatusCode.OK, "marked"), await client.GetTextAsync("/mvc-sliding/quiet/peek"));
        Assert.Equal(last, await LastAccessSeenByTheAppAsync(app, key));

        Assert.Equal(HttpStatusCode.OK, (await client.GetTextAsync("/mvc-sliding/moving")).Status);
        Assert.True(await Eventually.WaitAsync(async () => await LastAccessSeenByTheAppAsync(app, key) > last, TimeSpan.FromSeconds(5)), "the unmarked action's refresh never reached Redis");
    }

    private sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }
}

/// <summary>One action that doesn't slide, one that does.</summary>
[Route("mvc-sliding")]
public sealed class SlidingTestController : ControllerBase
{
    [HttpGet("still")]
    [NoSessionSliding]
    public Task<IResult> Still() => SlidingBehaviour.Left(HttpContext);

    [HttpGet("moving")]
    public Task<IResult> Moving() => SlidingBehaviour.Left(HttpContext);
}

/// <summary>A whole controller that doesn't slide.</summary>
[Route("mvc-sliding/quiet")]
[NoSessionSliding]
public sealed class QuietSlidingTestController : ControllerBase
{
    [HttpGet("peek")]
    public async Task<IActionResult> Peek()
    {
        await HttpContext.Session.LoadAsync();
        return Content(HttpContext.Session.GetString("username") is null ? "none" : "marked");
    }
}

public sealed class RedisSlidingTests(RedisFixture server) : SlidingBehaviour(server);

public sealed class GarnetSlidingTests(GarnetFixture server) : SlidingBehaviour(server);
