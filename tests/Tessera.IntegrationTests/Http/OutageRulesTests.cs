using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.AspNetCore;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// Request-session rules under a stalled Redis (SIGSTOP: connections stay open, nothing answers) and
/// a slow link (a latency proxy), each on its own redis-server.
/// </summary>
public sealed class OutageRulesTests
{
    [Fact]
    public async Task LockWhoseAcquisitionTimedOut_IsReleasedWhenRedisAnswersAgain()
    {
        using var redis = RedisServerProcess.Start();
        await using var app = await TestApp.StartAsync(redis.Endpoint, "lock:", o =>
        {
            o.OperationTimeout = TimeSpan.FromSeconds(1);
            o.Lock.WaitTimeout = TimeSpan.FromSeconds(5);
        });
        using var client = app.CreateClient();
        Assert.True(await ReadyAsync(client), "the app should serve sessions while Redis is up");
        var id = client.Cookie("__Host-Tessera")!;

        Signal(redis, "STOP");
        try
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostTextAsync("/cart/add?item=a")).Status);
        }
        finally
        {
            Signal(redis, "CONT");
        }

        // The SET queued on the stalled socket ran when Redis resumed; the lock must not outlive it.
        Assert.True(
            await Eventually.WaitAsync(async () => !await app.Store.Connection.GetDatabase().KeyExistsAsync(app.Store.LockKeyFor(id)), TimeSpan.FromSeconds(4)),
            "the orphaned lock should be released once Redis answers");
        // Service is back within a second of Redis answering (the breaker's background probe closes it;
        // until then a request is refused at once and changes nothing), and the lock does not block it.
        var clock = Stopwatch.StartNew();
        Assert.True(
            await Eventually.WaitAsync(async () => await client.PostTextAsync("/cart/add?item=b") == (HttpStatusCode.OK, "1"), TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20)),
            "the next request is served, and the item counted once");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task StalledRedis_AWriteWithoutABody_Waits_OneBound_NotTwo()
    {
        using var redis = RedisServerProcess.Start();
        await using var app = await TestApp.StartAsync(redis.Endpoint, "once:", o => o.OperationTimeout = TimeSpan.FromSeconds(1.5), map: a =>
            a.MapPost("/set-nobody", (HttpContext ctx, string k, string v) =>
            {
                ctx.Session.SetString(k, v);
                return Results.NoContent();
            }));
        using var client = app.CreateClient();
        Assert.True(await ReadyAsync(client), "the app should serve sessions while Redis is up");

        Signal(redis, "STOP");
        try
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.PostAsync("/set-nobody?k=a&v=b");
            clock.Stop();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            // One 1.5 s bound for the request's Redis work (the commit is not retried as the response starts).
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.3), TimeSpan.FromSeconds(2.6));
        }
        finally
        {
            Signal(redis, "CONT");
        }
    }

    [Fact]
    public async Task StalledRedis_AWriteWhoseHandlerWritesABody_AnswersProblemDetailsOnly()
    {
        using var redis = RedisServerProcess.Start();
        await using var app = await TestApp.StartAsync(redis.Endpoint, "body:", o => o.OperationTimeout = TimeSpan.FromSeconds(1));
        using var client = app.CreateClient();
        Assert.True(await ReadyAsync(client), "the app should serve sessions while Redis is up");

        Signal(redis, "STOP");
        try
        {
            using var response = await client.PostAsync("/set?k=a&v=b");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(response.Headers.RetryAfter is not null);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("set", body.Replace("Session store", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Contains("\"status\":503", body, StringComparison.Ordinal);
        }
        finally
        {
            Signal(redis, "CONT");
        }
    }

    [Fact]
    public async Task RevokeAll_DuringASlowRotation_LeavesNothingOfTheUserAlive()
    {
        using var redis = RedisServerProcess.Start();
        await using var proxy = new FaultProxy(redis.Endpoint);
        await using var app = await TestApp.StartAsync(proxy.Endpoint, "slow:", o => o.OperationTimeout = TimeSpan.FromSeconds(10));
        using var client = app.CreateClient();
        Assert.True(await ReadyAsync(client), "the app should serve sessions through the proxy");
        proxy.Latency = TimeSpan.FromMilliseconds(100);

        // The revocation runs straight on Redis, at offsets across the whole rotation (~1 s at 200 ms a round trip).
        var direct = app.Store;
        var offsets = Enumerable.Range(0, 8).Select(n => TimeSpan.FromMilliseconds(n * 100)).ToArray();
        var outcomes = await Task.WhenAll(offsets.Select(async (offset, n) =>
        {
            var user = $"slow{n}";
            var id = SessionIds.NewId();
            var values = new SessionChanges();
            values.Set("username", System.Text.Encoding.UTF8.GetBytes(user));
            await direct.CreateAsync(id, values, new SessionWrite { UserId = user });
            using var browser = app.CreateClient();
            browser.SetCookie("__Host-Tessera", id);
            var rotation = browser.PostTextAsync("/rotate");
            await Task.Delay(offset);
            await RevokeDirectlyAsync(redis.Endpoint, user);
            await rotation;
            var cookie = browser.Cookie("__Host-Tessera")!;
            return (await TestStore.LoadAsync(redis.Endpoint, "slow:", id), await TestStore.LoadAsync(redis.Endpoint, "slow:", cookie));
        }));
        Assert.All(outcomes, o =>
        {
            Assert.NotEqual(LoadStatus.Found, o.Item1);
            Assert.NotEqual(LoadStatus.Found, o.Item2);
        });
    }

    [Fact]
    public async Task RevokeAll_DuringANewVisitorsFirstSignIn_LeavesNoSessionCreatedBeforeIt()
    {
        using var redis = RedisServerProcess.Start();
        await using var proxy = new FaultProxy(redis.Endpoint);
        await using var app = await TestApp.StartAsync(proxy.Endpoint, "slow:", o => o.OperationTimeout = TimeSpan.FromSeconds(10));
        using var warm = app.CreateClient();
        Assert.True(await ReadyAsync(warm), "the app should serve sessions through the proxy");
        proxy.Latency = TimeSpan.FromMilliseconds(100);

        // A visitor with no session signs in (create, index, confirm: ~200 ms a round trip); the
        // revocation runs straight on Redis at offsets across it.
        using var direct = ConnectionMultiplexer.Connect(redis.Endpoint);
        var offsets = Enumerable.Range(0, 8).Select(n => TimeSpan.FromMilliseconds(n * 100)).ToArray();
        var survivors = await Task.WhenAll(offsets.Select(async (offset, n) =>
        {
            var user = $"first{n}";
            using var browser = app.CreateClient();
            var signIn = browser.PostTextAsync($"/signin?user={user}");
            await Task.Delay(offset);
            await RevokeDirectlyAsync(redis.Endpoint, user);
            await signIn;
            var mark = (long)await direct.GetDatabase().StringGetAsync($"slow:revoked:{user}");
            var cookie = browser.Cookie("__Host-Tessera");
            if (cookie is null || await TestStore.LoadAsync(redis.Endpoint, "slow:", cookie) != LoadStatus.Found)
            {
                return (Offset: offset, Created: 0L, Mark: mark);
            }

            var created = (long)await direct.GetDatabase().HashGetAsync($"slow:{SessionIds.Handle(cookie)}", "#c");
            return (Offset: offset, Created: created, Mark: mark);
        }));

        // A session may outlive the revocation only if it was created after the revocation began.
        Assert.All(survivors, s => Assert.True(s.Created == 0 || s.Created > s.Mark, $"at {s.Offset.TotalMilliseconds} ms a session created at {s.Created} outlived a revocation marked at {s.Mark}"));
    }

    [Fact]
    public async Task AnEvictionThatFailsHalfway_LeavesTheDeviceListed_AndTheNextSignInEndsIt()
    {
        using var redis = RedisServerProcess.Start();
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.Endpoint},allowAdmin=true");
        // A second app server whose deletes fail (an ACL without DEL): its sign-in gets as far as the
        // index script naming the device to evict, then fails ending it, as if Redis went away there.
        await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "nodel", "on", ">pw", "~*", "&*", "+@all", "-del", "-unlink");
        var options = Options.Create(new TesseraOptions { KeyPrefix = "evict:", MaxSessionsPerUser = 2, SessionLimitPolicy = SessionLimitPolicy.EvictOldest });
        await using var failingMux = await ConnectionMultiplexer.ConnectAsync($"{redis.Endpoint},user=nodel,password=pw");
        var healthy = new RedisSessionStore(new TesseraConnection(admin, options), options);
        var failing = new RedisSessionStore(new TesseraConnection(failingMux, options), options);

        async Task<string> SignInAsync(RedisSessionStore store)
        {
            var id = SessionIds.NewId();
            Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, new SessionChanges(), new SessionWrite { UserId = "ivy" })).Status);
            await Task.Delay(5);
            return id;
        }

        var oldest = await SignInAsync(healthy);
        var second = await SignInAsync(healthy);
        var third = SessionIds.NewId();
        await Assert.ThrowsAsync<TesseraUnavailableException>(() => failing.CreateAsync(third, new SessionChanges(), new SessionWrite { UserId = "ivy" }));

        // The oldest device could not be ended: it is still live, so it must still be listed.
        Assert.Equal(LoadStatus.Found, (await healthy.LoadAsync(oldest)).Status);
        var listed = (await healthy.Users.GetUserSessionsAsync("ivy")).Select(s => s.Handle).ToHashSet();
        Assert.Contains(SessionIds.Handle(oldest), listed);
        Assert.Contains(SessionIds.Handle(second), listed);

        // The next sign-in finishes the eviction: the limit holds again and every live device is listed.
        var fourth = await SignInAsync(healthy);
        Assert.Equal(LoadStatus.NotFound, (await healthy.LoadAsync(oldest)).Status);
        Assert.Equal(LoadStatus.NotFound, (await healthy.LoadAsync(second)).Status);
        // The failed sign-in's own session was created and indexed before the failure: listed, so revocable.
        Assert.Equal(LoadStatus.Found, (await healthy.LoadAsync(third)).Status);
        Assert.Equal(LoadStatus.Found, (await healthy.LoadAsync(fourth)).Status);
        Assert.Equal(
            new[] { third, fourth }.Select(SessionIds.Handle).Order(),
            (await healthy.Users.GetUserSessionsAsync("ivy")).Select(s => s.Handle).Order());
    }

    private static async Task RevokeDirectlyAsync(string endpoint, string user)
    {
        var store = await TestStore.CreateAsync(endpoint, "slow:");
        await store.Users.RevokeUserSessionsAsync(user);
    }

    private static async Task<bool> ReadyAsync(CookieClient client) =>
        await Eventually.WaitAsync(
            async () => (await client.PostTextAsync("/login?user=ada")).Status == HttpStatusCode.OK
                && (await client.GetTextAsync("/peek")) == (HttpStatusCode.OK, "ada"),
            TimeSpan.FromSeconds(20));

    private static void Signal(RedisServerProcess redis, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", redis.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }
}
