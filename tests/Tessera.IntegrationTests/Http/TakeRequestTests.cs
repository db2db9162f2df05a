using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tessera.AspNetCore;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// <see cref="ITesseraSession.TakeAsync"/> in a request: the value is gone for the rest of the request
/// (a read, the keys, a rotation), racing requests never both get it, and a take never creates or
/// resurrects a session.
/// </summary>
public sealed class TakeRequestTests(RedisFixture redis)
{
    private const string Cookie = TesseraSessionOptions.DefaultCookieName;

    private Task<TestApp> StartAsync() => TestApp.StartAsync(redis.Endpoint, redis.PrefixFor(), map: Map);

    private static void Map(WebApplication app)
    {
        app.MapPost("/take", async (HttpContext ctx, string k) =>
            await ctx.Session.AsTessera().TakeStringAsync(k) is { } v ? Results.Text(v) : Results.NotFound());

        // Read first, then take: the value the request read is gone for it after the take.
        app.MapPost("/read-take-read", async (HttpContext ctx, string k) =>
        {
            var s = ctx.Session.AsTessera();
            await s.LoadAsync();
            var before = s.GetString(k);
            var taken = await s.TakeStringAsync(k);
            return Results.Text($"{before}|{taken}|{s.GetString(k)}|{string.Join(",", s.Keys.Order(StringComparer.Ordinal))}");
        });

        // A value set earlier in this request is taken (the pending write goes first).
        app.MapPost("/set-take", async (HttpContext ctx, string k) =>
        {
            var s = ctx.Session.AsTessera();
            s.SetString(k, "fresh");
            return Results.Text($"{await s.TakeStringAsync(k)}|{s.GetString(k)}");
        });

        // Take, then rotate (a sign-in right after reading a one-time code): the new session must not carry it.
        app.MapPost("/take-rotate", async (HttpContext ctx, string k) =>
        {
            var s = ctx.Session.AsTessera();
            await s.LoadAsync();
            var taken = await s.TakeStringAsync(k);
            await s.RotateAsync();
            return Results.Text(taken ?? "(none)");
        });
    }

    private static async Task<CookieClient> WithValueAsync(TestApp app, string key, string value)
    {
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync($"/set?k={key}&v={value}")).Status);
        return client;
    }

    [Fact]
    public async Task Take_ReturnsTheValueOnce_ThenNotFound()
    {
        await using var app = await StartAsync();
        var client = await WithValueAsync(app, "code", "123");
        Assert.Equal((HttpStatusCode.OK, "123"), await client.PostTextAsync("/take?k=code"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostTextAsync("/take?k=code")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=code")).Status);
    }

    [Fact]
    public async Task Take_InARequestThatDoesNothingElse_CostsOneRoundTrip_AndNoRead()
    {
        var prefix = redis.PrefixFor();
        await using var app = await TestApp.StartAsync(redis.Endpoint, prefix, map: Map);
        var client = await WithValueAsync(app, "code", "warm");
        Assert.Equal((HttpStatusCode.OK, "warm"), await client.PostTextAsync("/take?k=code"));
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set?k=code&v=123")).Status);

        var port = int.Parse(redis.Endpoint[(redis.Endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var commands = await new CommandCounter(port, prefix).MeasureAsync(async () =>
            Assert.Equal((HttpStatusCode.OK, "123"), await client.PostTextAsync("/take?k=code")));
        Assert.Equal(1, commands.GetValueOrDefault("evalsha"));
        Assert.Equal(1, commands.Values.Sum());
    }

    [Fact]
    public async Task Take_AfterARead_TheValueIsGoneForTheRestOfTheRequest()
    {
        await using var app = await StartAsync();
        var client = await WithValueAsync(app, "code", "123");
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set?k=other&v=x")).Status);
        Assert.Equal((HttpStatusCode.OK, "123|123||other"), await client.PostTextAsync("/read-take-read?k=code"));
        Assert.Equal((HttpStatusCode.OK, "other"), await client.GetTextAsync("/keys"));
    }

    [Fact]
    public async Task Take_OfAValueSetEarlierInTheRequest_TakesIt()
    {
        await using var app = await StartAsync();
        var client = await WithValueAsync(app, "x", "1");
        Assert.Equal((HttpStatusCode.OK, "fresh|"), await client.PostTextAsync("/set-take?k=code"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=code")).Status);
    }

    [Fact]
    public async Task Take_ThenRotate_TheNewSessionDoesNotCarryTheValue()
    {
        await using var app = await StartAsync();
        var client = await WithValueAsync(app, "code", "123");
        var old = client.Cookie(Cookie);
        Assert.Equal((HttpStatusCode.OK, "123"), await client.PostTextAsync("/take-rotate?k=code"));
        Assert.NotEqual(old, client.Cookie(Cookie));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=code")).Status);
    }

    [Fact]
    public async Task Take_ByANewVisitor_GetsNothing_AndStartsNoSession()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostTextAsync("/take?k=code")).Status);
        Assert.Null(client.Cookie(Cookie));
    }

    [Fact]
    public async Task Take_WithACookieAfterLogout_GetsNothing_AndResurrectsNothing()
    {
        // The attacker replays a cookie captured before the victim logged out.
        await using var app = await StartAsync();
        var victim = await WithValueAsync(app, "code", "123");
        var captured = victim.Cookie(Cookie)!;
        Assert.Equal(HttpStatusCode.OK, (await victim.PostTextAsync("/logout")).Status);

        using var attacker = app.CreateClient();
        attacker.SetCookie(Cookie, captured);
        Assert.Equal(HttpStatusCode.NotFound, (await attacker.PostTextAsync("/take?k=code")).Status);
        Assert.Equal(LoadStatus.NotFound, (await app.Store.LoadAsync(captured)).Status);
        Assert.False(await redis.Db.KeyExistsAsync(app.Store.KeyFor(captured)));
    }

    [Fact]
    public async Task Take_TwentyRequestsRaceForOneValue_ExactlyOneGetsIt_FiftyTimesOver()
    {
        await using var app = await StartAsync();
        var doubles = 0;
        var lost = 0;
        for (var round = 0; round < 50; round++)
        {
            var owner = await WithValueAsync(app, "code", $"c{round}");
            var cookie = owner.Cookie(Cookie)!;
            var clients = Enumerable.Range(0, 20).Select(_ =>
            {
                var c = app.CreateClient();
                c.SetCookie(Cookie, cookie);
                return c;
            }).ToArray();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var races = clients.Select(async c =>
            {
                await gate.Task;
                return await c.PostTextAsync("/take?k=code");
            }).ToArray();
            gate.SetResult();
            var replies = await Task.WhenAll(races);
            Assert.All(replies, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{r.Status} {r.Body}"));
            var winners = replies.Count(r => r.Status == HttpStatusCode.OK);
            if (winners > 1)
            {
                doubles++;
            }
            else if (winners == 0)
            {
                lost++;
            }
            else
            {
                Assert.Equal($"c{round}", replies.Single(r => r.Status == HttpStatusCode.OK).Body);
            }

            foreach (var c in clients)
            {
                c.Dispose();
            }

            owner.Dispose();
        }

        Assert.Equal(0, doubles);
        Assert.Equal(0, lost);
    }
}
