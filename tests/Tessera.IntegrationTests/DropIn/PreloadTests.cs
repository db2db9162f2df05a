using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tessera.AspNetCore;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// <see cref="TesseraSessionOptions.Preload"/>: an endpoint that reads its session synchronously (no
/// <c>LoadAsync</c>) blocks a thread once, then has its sessions read ahead, awaited, under the lock
/// when it takes one; the values it sees are the same either way.
/// </summary>
public sealed class PreloadTests(RedisFixture redis)
{
    private Task<TestApp> StartAsync(Action<TesseraSessionOptions>? configure = null) =>
        TestApp.StartAsync(redis.Endpoint, redis.PrefixFor(), configure, map: MapCounter);

    private static void MapCounter(WebApplication app) =>
        // A synchronous read-modify-write under the lock: correct only if the read comes after the lock.
        app.MapPost("/sync-add", (HttpContext ctx) =>
        {
            var n = int.Parse(ctx.Session.GetString("n") ?? "0", CultureInfo.InvariantCulture) + 1;
            ctx.Session.SetString("n", n.ToString(CultureInfo.InvariantCulture));
            return Results.Text(n.ToString(CultureInfo.InvariantCulture));
        }).RequireSessionLock();

    private static async Task<CookieClient> SignInAsync(TestApp app, string user)
    {
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync($"/login?user={user}")).Status);
        return client;
    }

    [Fact]
    public async Task ByDefault_ASynchronousEndpointBlocksOnce_ThenIsReadAhead_ForEverySession_AndAnAsyncEndpointNever()
    {
        await using var app = await StartAsync();
        using var synchronous = new CounterTotal(app.Store.Metrics.SynchronousLoads);
        var ada = await SignInAsync(app, "ada");
        var bob = await SignInAsync(app, "bob");

        // /peek awaits LoadAsync: never synchronous, never learned.
        for (var n = 0; n < 3; n++)
        {
            Assert.Equal((HttpStatusCode.OK, "ada"), await ada.GetTextAsync("/peek"));
        }

        Assert.Equal(0, synchronous.Total);

        // /get reads with GetString: the first request blocks, the rest (any session's) are read ahead.
        Assert.Equal((HttpStatusCode.OK, "ada"), await ada.GetTextAsync("/get?k=username"));
        Assert.Equal(1, synchronous.Total);
        Assert.Equal((HttpStatusCode.OK, "ada"), await ada.GetTextAsync("/get?k=username"));
        Assert.Equal((HttpStatusCode.OK, "bob"), await bob.GetTextAsync("/get?k=username"));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetTextAsync("/get?k=absent")).Status);
        Assert.Equal(1, synchronous.Total);
    }

    [Fact]
    public async Task Never_EveryRequestReadsSynchronously_WithTheSameAnswers()
    {
        await using var app = await StartAsync(o => o.Preload = SessionPreload.Never);
        using var synchronous = new CounterTotal(app.Store.Metrics.SynchronousLoads);
        var ada = await SignInAsync(app, "ada");

        for (var n = 0; n < 3; n++)
        {
            Assert.Equal((HttpStatusCode.OK, "ada"), await ada.GetTextAsync("/get?k=username"));
        }

        Assert.Equal(3, synchronous.Total);
    }

    [Fact]
    public async Task Always_NoRequestReadsSynchronously()
    {
        await using var app = await StartAsync(o => o.Preload = SessionPreload.Always);
        using var synchronous = new CounterTotal(app.Store.Metrics.SynchronousLoads);
        var ada = await SignInAsync(app, "ada");

        Assert.Equal((HttpStatusCode.OK, "ada"), await ada.GetTextAsync("/get?k=username"));
        Assert.Equal((HttpStatusCode.OK, "1"), await ada.PostTextAsync("/sync-add"));
        Assert.Equal(0, synchronous.Total);
    }

    [Fact]
    public async Task AReadAheadEndpoint_UnderTheLock_ReadsAfterTakingIt_ThirtyParallelSynchronousAddsLoseNothing()
    {
        await using var app = await StartAsync();
        var ada = await SignInAsync(app, "ada");
        Assert.Equal((HttpStatusCode.OK, "1"), await ada.PostTextAsync("/sync-add"));

        // Read ahead before the lock, each would add to the same stale value.
        var replies = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => ada.PostTextAsync("/sync-add")));

        Assert.All(replies, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(Enumerable.Range(2, 30), replies.Select(r => int.Parse(r.Body, CultureInfo.InvariantCulture)).Order());
        Assert.Equal((HttpStatusCode.OK, "31"), await ada.GetTextAsync("/get?k=n"));
    }

    [Fact]
    public async Task OnAReadAheadEndpoint_AForgedOrRevokedId_IsANewVisitor_AndNothingIsCreated()
    {
        await using var app = await StartAsync();
        var ada = await SignInAsync(app, "ada");
        Assert.Equal((HttpStatusCode.OK, "ada"), await ada.GetTextAsync("/get?k=username"));
        var stolen = ada.Cookie("__Host-Tessera")!;
        Assert.Equal(HttpStatusCode.OK, (await ada.PostTextAsync("/logout")).Status);

        // The endpoint is read ahead now: a forged well-formed id and the logged-out one read nothing.
        var mallory = app.CreateClient();
        mallory.SetCookie("__Host-Tessera", SessionIds.NewId());
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.GetTextAsync("/get?k=username")).Status);
        var replay = app.CreateClient();
        replay.SetCookie("__Host-Tessera", stolen);
        Assert.Equal(HttpStatusCode.NotFound, (await replay.GetTextAsync("/get?k=username")).Status);
        Assert.False((await redis.Db.HashGetAsync(app.Store.KeyFor(stolen), "username")).HasValue);
    }
}
