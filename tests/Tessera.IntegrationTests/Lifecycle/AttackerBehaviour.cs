using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// The request-session rules, tested from the attacker's side: what a client holding an old, foreign,
/// revoked or rotated-away id can do, from another address, in the same request, racing another request.
/// Each case was reproduced against the session before its state-machine redesign (issue 12).
/// </summary>
public abstract class AttackerBehaviour(ServerFixture server)
{
    private const string Cookie = "__Host-Tessera";
    private static readonly ConcurrentDictionary<string, (TaskCompletionSource Loaded, TaskCompletionSource Go)> Gates = new();

    protected ServerFixture Server { get; } = server;

    private Task<TestApp> StartAppAsync(Action<TesseraSessionOptions>? configure = null, bool forwarded = false) =>
        TestApp.StartAsync(
            Server.Endpoint,
            Server.PrefixFor(),
            configure,
            map: MapAttackEndpoints,
            services: forwarded
                ? s => s.Configure<ForwardedHeadersOptions>(f =>
                {
                    f.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
                    f.KnownIPNetworks.Clear();
                    f.KnownProxies.Clear();
                })
                : null,
            beforeSession: forwarded ? a => a.UseForwardedHeaders() : null);

    private static void MapAttackEndpoints(WebApplication app)
    {
        // An atomic operation first, then reads: what a request that did not load learns.
        app.MapGet("/attempt", async (HttpContext ctx) =>
        {
            var s = ctx.Session.AsTessera();
            var n = await s.TryIncrementAsync("attempts");
            return Results.Text($"{n?.ToString(CultureInfo.InvariantCulture) ?? "-"}|{s.GetString("username") ?? "-"}|{s.GetString("secret") ?? "-"}|{s.Id}");
        });
        // A login handler that counts attempts before signing in.
        app.MapPost("/counted-login", async (HttpContext ctx, string user) =>
        {
            var s = ctx.Session.AsTessera();
            var attempts = await s.IncrementAsync("attempts");
            await s.SignInAsync(user);
            s.SetString("username", user);
            return Results.Text($"{attempts}|{s.Id}");
        });
        // Loads, is revoked by another party mid-request, then writes.
        app.MapPost("/load-revoke-write", async (HttpContext ctx) =>
        {
            var s = ctx.Session.AsTessera();
            await s.LoadAsync();
            var id = s.Id;
            await ctx.RequestServices.GetRequiredService<RedisSessionStore>().Users.RevokeAsync(id);
            await s.IncrementAsync("n");
            s.SetString("x", "y");
            return Results.Text(id);
        });
        app.MapPost("/lock-probe", async (HttpContext ctx, string victim) =>
        {
            var store = ctx.RequestServices.GetRequiredService<RedisSessionStore>();
            var db = await store.Connection.GetDatabaseAsync();
            return Results.Text(await db.KeyExistsAsync(store.LockKeyFor(victim)) ? "victim locked" : "victim free");
        }).RequireSessionLock();
        app.MapPost("/count-then-signin", async (HttpContext ctx, string user) =>
        {
            var s = ctx.Session.AsTessera();
            await s.IncrementAsync("attempts");
            var before = s.Id;
            await s.SignInAsync(user);
            return Results.Text($"{before}|{s.Id}");
        });
        // Loads, says so, waits to be let go, then signs in: two of these race.
        app.MapPost("/gated-signin", async (HttpContext ctx, string user, string gate) =>
        {
            var s = ctx.Session.AsTessera();
            await s.LoadAsync();
            s.SetString("from-" + gate, "1");
            var (loaded, go) = Gates[gate];
            loaded.TrySetResult();
            await go.Task;
            await s.SignInAsync(user);
            s.SetString("username", user);
            return Results.Text(s.Id);
        });
    }

    [Fact]
    public async Task OldId_AtomicThenRead_NeverLearnsTheNewIdItsValuesOrCounters()
    {
        await using var app = await StartAppAsync();
        using var attacker = app.CreateClient();
        await attacker.PostTextAsync("/set?k=trap&v=1");
        var planted = attacker.Cookie(Cookie)!;
        using var victim = app.CreateClient();
        victim.SetCookie(Cookie, planted);
        await victim.PostTextAsync("/signin?user=victim");
        await victim.PostTextAsync("/set?k=secret&v=42");
        await victim.GetTextAsync("/view");
        var victimId = victim.Cookie(Cookie)!;
        Assert.NotEqual(planted, victimId);

        var (_, body) = await attacker.GetTextAsync("/attempt");
        var seen = body.Split('|');
        Assert.Equal("-", seen[0]);      // no counter from the victim's session
        Assert.Equal("-", seen[1]);      // not the victim's username
        Assert.Equal("-", seen[2]);      // not the victim's secret
        Assert.NotEqual(victimId, seen[3]);
        Assert.NotEqual(victimId, attacker.Cookie(Cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetTextAsync("/peek")).Status);
        // The victim's counter was not bumped by the attacker, and the victim is still signed in.
        Assert.Equal((HttpStatusCode.OK, "2"), await victim.GetTextAsync("/view"));
        Assert.Equal((HttpStatusCode.OK, "victim"), await victim.GetTextAsync("/peek"));
    }

    [Fact]
    public async Task OldIdOfSomeoneElse_CountedLogin_GetsNoCopyOfTheirData_AndTheOwnerStaysSignedIn()
    {
        await using var app = await StartAppAsync();
        using var owner = app.CreateClient();
        await owner.PostTextAsync("/signin?user=alice");
        await owner.PostTextAsync("/set?k=secret&v=42");
        var old = owner.Cookie(Cookie)!;
        await owner.PostTextAsync("/rotate");
        Assert.NotEqual(old, owner.Cookie(Cookie));

        using var attacker = app.CreateClient();
        attacker.SetCookie(Cookie, old);
        Assert.Equal(HttpStatusCode.OK, (await attacker.PostTextAsync("/counted-login?user=mallory")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await attacker.GetTextAsync("/get?k=secret")).Status);
        Assert.Equal((HttpStatusCode.OK, "mallory"), await attacker.GetTextAsync("/peek"));
        Assert.Equal((HttpStatusCode.OK, "alice"), await owner.GetTextAsync("/peek"));
        Assert.Equal((HttpStatusCode.OK, "42"), await owner.GetTextAsync("/get?k=secret"));
    }

    [Fact]
    public async Task RevokedMidRequest_ThenIncrementAndWrite_NeverRecreatesTheRevokedId()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/signin?user=ada");
        var (status, revokedId) = await client.PostTextAsync("/load-revoke-write");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(await Server.Db.KeyExistsAsync(app.Store.KeyFor(revokedId)), "a revoked id must never be created again");
        var now = client.Cookie(Cookie)!;
        Assert.NotEqual(revokedId, now);
        // New data went under a new id, as a new visitor's session.
        Assert.Equal((HttpStatusCode.OK, "y"), await client.GetTextAsync("/get?k=x"));
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/get?k=n"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/peek")).Status);
    }

    [Fact]
    public async Task Binding_HoldsOnEveryPath_WriteIncrementLogoutAndLock()
    {
        await using var app = await StartAppAsync(o => o.ClientBinding.Mode = ClientBindingMode.Address, forwarded: true);
        using var victim = app.CreateClient();
        victim.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "10.0.0.1");
        await victim.PostTextAsync("/signin?user=victim");
        await victim.PostTextAsync("/set?k=k&v=victim");
        var victimId = victim.Cookie(Cookie)!;

        using var attacker = app.CreateClient();
        attacker.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "10.0.0.2");
        attacker.SetCookie(Cookie, victimId);
        await attacker.PostTextAsync("/set?k=k&v=attacker");
        await attacker.PostTextAsync("/incr?k=n");
        var (_, probe) = await attacker.PostTextAsync($"/lock-probe?victim={victimId}");
        Assert.Equal("victim free", probe);
        await attacker.PostTextAsync("/logout");

        Assert.Equal((HttpStatusCode.OK, "victim"), await victim.GetTextAsync("/get?k=k"));
        Assert.Equal(HttpStatusCode.NotFound, (await victim.GetTextAsync("/get?k=n")).Status);
        Assert.Equal((HttpStatusCode.OK, "victim"), await victim.GetTextAsync("/peek"));
        // And the owner still takes the lock of its own session.
        Assert.Equal((HttpStatusCode.OK, "victim locked"), await victim.PostTextAsync($"/lock-probe?victim={victimId}"));
    }

    [Fact]
    public async Task NoCookie_IncrementThenSignIn_MakesOneSessionWithItsValues()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        var (status, body) = await client.PostTextAsync("/count-then-signin?user=ada");
        Assert.Equal(HttpStatusCode.OK, status);
        var ids = body.Split('|');
        var cookie = client.Cookie(Cookie)!;
        Assert.Equal(ids[1], cookie);
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/get?k=attempts"));
        var record = (await app.Store.LoadAsync(cookie)).Record!;
        Assert.Equal("ada", record.Metadata.UserId);
        Assert.InRange(record.Metadata.Created, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(record.Metadata.AbsoluteDeadline > DateTimeOffset.UtcNow);
        // The first id is this session or gone: never a second, orphaned session.
        Assert.True(ids[0] == cookie || (await app.Store.LoadAsync(ids[0])).Status != LoadStatus.Found);
        var devices = await app.Store.Users.GetUserSessionsAsync("ada");
        Assert.Equal(SessionIds.Handle(cookie), Assert.Single(devices).Handle);
    }

    [Fact]
    public async Task LogoutWithARotatedAwayCookie_EndsTheSessionItPointsTo()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/signin?user=ada");
        var old = client.Cookie(Cookie)!;
        await client.PostTextAsync("/rotate");
        var current = client.Cookie(Cookie)!;

        using var oldTab = app.CreateClient();
        oldTab.SetCookie(Cookie, old);
        Assert.Equal(HttpStatusCode.OK, (await oldTab.PostTextAsync("/logout")).Status);

        Assert.NotEqual(LoadStatus.Found, (await app.Store.LoadAsync(current)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/peek")).Status);
        Assert.Empty(await app.Store.Users.GetUserSessionsAsync("ada"));
    }

    [Fact]
    public async Task SignIn_RecordsTheClientSigningIn_NotTheOneThatPlantedTheId()
    {
        await using var app = await StartAppAsync(forwarded: true);
        using var attacker = app.CreateClient();
        attacker.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "10.0.0.9");
        attacker.Http.DefaultRequestHeaders.UserAgent.ParseAdd("evil/1.0");
        await attacker.PostTextAsync("/set?k=trap&v=1");
        using var victim = app.CreateClient();
        victim.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "10.0.0.1");
        victim.Http.DefaultRequestHeaders.UserAgent.ParseAdd("good/2.0");
        victim.SetCookie(Cookie, attacker.Cookie(Cookie)!);
        await victim.PostTextAsync("/signin?user=victim");

        var (_, json) = await victim.GetTextAsync("/devices");
        using var devices = JsonDocument.Parse(json);
        var device = Assert.Single(devices.RootElement.EnumerateArray());
        Assert.Equal("10.0.0.1", device.GetProperty("ip").GetString());
        Assert.Equal("good/2.0", device.GetProperty("agent").GetString());
    }

    [Fact]
    public async Task TwoRacingSignIns_TheLoserArrivingLast_KeepsEveryValue()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/set?k=cart&v=book");
        var a = $"a{Guid.NewGuid():N}";
        var b = $"b{Guid.NewGuid():N}";
        Gates[a] = (new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously));
        Gates[b] = (new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            var first = client.PostTextAsync($"/gated-signin?user=ada&gate={a}");
            var second = client.PostTextAsync($"/gated-signin?user=ada&gate={b}");
            await Gates[a].Loaded.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await Gates[b].Loaded.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Gates[a].Go.SetResult();
            Assert.Equal(HttpStatusCode.OK, (await first).Status);
            Gates[b].Go.SetResult();
            Assert.Equal(HttpStatusCode.OK, (await second).Status);
        }
        finally
        {
            Gates.TryRemove(a, out _);
            Gates.TryRemove(b, out _);
        }

        // The browser holds what the last response set: it must be a session with every value.
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        Assert.Equal((HttpStatusCode.OK, "book"), await client.GetTextAsync("/get?k=cart"));
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync($"/get?k=from-{a}"));
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync($"/get?k=from-{b}"));
        Assert.Single(await app.Store.Users.GetUserSessionsAsync("ada"));
    }

    [Fact]
    public async Task NothingInRedis_AfterSignInIncrementAndRotation_WorksAsACookie()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/set?k=cart&v=book");
        var anonymous = client.Cookie(Cookie)!;
        await client.PostTextAsync("/incr?k=views");
        await client.PostTextAsync("/signin?user=ada");
        var signedIn = client.Cookie(Cookie)!;
        await client.PostTextAsync("/incr?k=views");
        Assert.NotEqual(anonymous, signedIn);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));

        // A lock held on the live session, as a locked request holds it.
        await using var held = await SessionLock.AcquireAsync(app.Store, signedIn, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        Assert.NotNull(held);

        // Everything an operator with SCAN (or a dump, a replica, SLOWLOG) sees under the prefix.
        var prefix = app.Store.Options.KeyPrefix;
        var seen = new List<string>();
        var db = Server.Db;
        foreach (var server in Server.Multiplexer.GetServers().Where(static s => s.IsConnected && !s.IsReplica && s.ServerType != StackExchange.Redis.ServerType.Sentinel))
        {
            await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 500))
            {
                var name = (string)key!;
                seen.Add(name);
                var type = await db.KeyTypeAsync(key);
                switch (type)
                {
                    case StackExchange.Redis.RedisType.Hash:
                        foreach (var e in await db.HashGetAllAsync(key))
                        {
                            seen.Add((string)e.Name!);
                            seen.Add(System.Text.Encoding.Latin1.GetString((byte[])e.Value!));
                        }

                        break;
                    case StackExchange.Redis.RedisType.SortedSet:
                        seen.AddRange((await db.SortedSetRangeByRankAsync(key)).Select(static m => (string)m!));
                        break;
                    case StackExchange.Redis.RedisType.String:
                        seen.Add(System.Text.Encoding.Latin1.GetString((byte[])(await db.StringGetAsync(key))!));
                        break;
                }
            }
        }

        Assert.Contains(seen, k => k == prefix + SessionIds.Handle(signedIn));
        Assert.Contains(seen, k => k == prefix + SessionIds.Handle(anonymous));
        Assert.Contains(seen, k => k == prefix + "lock:" + SessionIds.Handle(signedIn));
        Assert.Contains(seen, k => k == SessionIds.Handle(signedIn));   // the tombstone's #r and the index member
        foreach (var text in seen)
        {
            Assert.DoesNotContain(anonymous, text, StringComparison.Ordinal);
            Assert.DoesNotContain(signedIn, text, StringComparison.Ordinal);
        }

        // Every 43-character base64url run seen in Redis, presented as a cookie, gets a new visitor.
        var suffixes = seen
            .SelectMany(static t => System.Text.RegularExpressions.Regex.Matches(t, "[A-Za-z0-9_-]{43}").Select(static m => m.Value))
            .Where(SessionIds.IsValid)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.True(suffixes.Count >= 2, $"expected the handles of both sessions (the lock and the index name one of them), saw {suffixes.Count}");
        await held.DisposeAsync();
        foreach (var suffix in suffixes)
        {
            using var attacker = app.CreateClient();
            attacker.SetCookie(Cookie, suffix);
            Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetTextAsync("/peek")).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await attacker.GetTextAsync("/get?k=cart")).Status);
            var (_, id) = await attacker.GetTextAsync("/id");
            Assert.NotEqual(suffix, id);
        }

        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        Assert.Equal((HttpStatusCode.OK, "book"), await client.GetTextAsync("/get?k=cart"));
    }

    [Fact]
    public async Task RevokeAll_RacingRotations_LeavesNoSessionOfTheUser()
    {
        var store = Server.CreateStore();
        var survivors = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, RaceCount), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (n, ct) =>
        {
            var user = $"u{n}";
            var id = SessionIds.NewId();
            var values = new SessionChanges();
            values.Set("v", "1"u8.ToArray());
            await store.CreateAsync(id, values, new SessionWrite { UserId = user }, ct);
            var snapshot = (await store.LoadAsync(id, ct)).Record!;
            var rotation = store.RotateAsync(snapshot, new SessionChanges(), null, ct);
            var revoke = store.Users.RevokeUserSessionsAsync(user, null, ct);
            var rotated = await rotation;
            await revoke;
            var live = (await store.LoadAsync(id, ct)).Status == LoadStatus.Found
                || (rotated.Status == CommitStatus.Committed && (await store.LoadAsync(rotated.SessionId, ct)).Status == LoadStatus.Found);
            if (live)
            {
                Interlocked.Increment(ref survivors);
            }
        });
        Assert.Equal(0, survivors);
    }

    [Fact]
    public async Task SignInAsAnotherUser_StartsFromAnEmptySession()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/signin?user=alice");
        await client.PostTextAsync("/set?k=cart&v=alices-book");
        await client.PostTextAsync("/signin?user=bob");
        Assert.Equal((HttpStatusCode.OK, "bob"), await client.GetTextAsync("/peek"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=cart")).Status);
        // The same user signing in again (a new login) keeps the session's values.
        await client.PostTextAsync("/set?k=cart&v=bobs-book");
        await client.PostTextAsync("/signin?user=bob");
        Assert.Equal((HttpStatusCode.OK, "bobs-book"), await client.GetTextAsync("/get?k=cart"));
    }

    /// <summary>How many rotate/revoke races <see cref="RevokeAll_RacingRotations_LeavesNoSessionOfTheUser"/> runs.</summary>
    protected virtual int RaceCount => 300;
}

public sealed class RedisAttackerTests(RedisFixture server) : AttackerBehaviour(server)
{
    protected override int RaceCount => 10_000;
}

public sealed class GarnetAttackerTests(GarnetFixture server) : AttackerBehaviour(server);
