using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// "Everyone at once" (<see cref="SessionUsers.RevokeEverythingAsync"/>, OWASP ASVS 7.4.5): every session
/// and login created before it is refused on every path, from the attacker's side (the cookies he holds,
/// replayed against every endpoint and a second app instance); sessions created after it work.
/// </summary>
public abstract class RevokeEverythingBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    private const string SessionCookie = "__Host-Tessera";

    private static void MapTake(WebApplication app)
    {
        CookieLogins.Map(app);
        app.MapPost("/take", async Task<IResult> (HttpContext ctx, string k) =>
            await ctx.Session.AsTessera().TakeAsync(k) is { } v ? Results.Text(Encoding.UTF8.GetString(v)) : Results.NotFound());
    }

    private Task<TestApp> StartAsync(string prefix, Action<TesseraSessionOptions>? configure = null) =>
        TestApp.StartAsync(Server.Endpoint, prefix, configure, map: MapTake, services: s => CookieLogins.Add(s));

    private static CookieClient Replaying(TestApp app, string name, string value)
    {
        var client = app.CreateClient();
        client.SetCookie(name, value);
        return client;
    }

    [Fact]
    public async Task SessionsAndLoginsOfEveryUser_AreRefusedOnEveryPath_ThroughASecondInstanceToo()
    {
        var prefix = Server.PrefixFor();
        await using var first = await StartAsync(prefix);
        await using var second = await StartAsync(prefix);

        // Three users: a signed-in session with a secret, a cookie login (ticket store), an anonymous counter.
        using var ada = first.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await ada.PostTextAsync("/signin?user=ada")).Status);
        await ada.PostTextAsync("/set?k=secret&v=ada-secret");
        Assert.Equal((HttpStatusCode.OK, "ada-secret"), await ada.GetTextAsync("/get?k=secret"));
        using var bob = first.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await bob.PostTextAsync("/auth/login?user=bob")).Status);
        Assert.Equal((HttpStatusCode.OK, "bob"), await bob.GetTextAsync("/auth/me"));
        using var carol = first.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await carol.PostTextAsync("/set?k=cart&v=book")).Status);
        Assert.Equal((HttpStatusCode.OK, "1"), await carol.GetTextAsync("/view"));
        Assert.Equal((HttpStatusCode.OK, "2"), await carol.GetTextAsync("/view"));

        var adaCookie = ada.Cookie(SessionCookie)!;
        var bobLogin = bob.Cookie(CookieLogins.LoginCookie)!;
        var bobSession = bob.Cookie(SessionCookie);
        var carolCookie = carol.Cookie(SessionCookie)!;
        string[] handles = [SessionIds.Handle(adaCookie), SessionIds.Handle(CookieLogins.LoginKeyOf(first, bobLogin)), SessionIds.Handle(carolCookie)];
        Assert.All(await second.Store.Users.LiveHandlesAsync(handles, TestContext.Current.CancellationToken), Assert.NotNull);
        // Both instances serve every one of them before (the login cookie too: one key ring).
        using (var c = Replaying(second, CookieLogins.LoginCookie, bobLogin))
        {
            Assert.Equal((HttpStatusCode.OK, "bob"), await c.GetTextAsync("/auth/me"));
        }

        using (var c = Replaying(second, SessionCookie, adaCookie))
        {
            Assert.Equal((HttpStatusCode.OK, "ada-secret"), await c.GetTextAsync("/get?k=secret"));
        }

        Assert.NotEmpty(await first.Store.Users.GetUserSessionsAsync("ada"));
        Assert.NotEmpty(await first.Store.Users.GetUserSessionsAsync("bob"));

        var epoch = await first.Store.Users.RevokeEverythingAsync();
        Assert.Equal(epoch, await second.Store.Users.EveryoneRevokedAtAsync());

        foreach (var app in new[] { second, first })
        {
            // A read, a synchronous read, an increment, a take: nothing of the old sessions comes back.
            using (var c = Replaying(app, SessionCookie, adaCookie))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetTextAsync("/peek")).Status);
            }

            using (var c = Replaying(app, SessionCookie, adaCookie))
            {
                Assert.Equal(HttpStatusCode.NotFound, (await c.GetTextAsync("/get?k=secret")).Status);
            }

            using (var c = Replaying(app, SessionCookie, adaCookie))
            {
                Assert.Equal(HttpStatusCode.NotFound, (await c.PostTextAsync("/take?k=secret")).Status);
            }

            using (var c = Replaying(app, SessionCookie, carolCookie))
            {
                Assert.Equal((HttpStatusCode.Unauthorized, "no session"), await c.GetTextAsync("/view"));
            }

            // The login: the ticket store refuses it, so the cookie authenticates nobody.
            using (var c = Replaying(app, CookieLogins.LoginCookie, bobLogin))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetTextAsync("/auth/me")).Status);
            }

            if (bobSession is not null)
            {
                using var c = Replaying(app, SessionCookie, bobSession);
                Assert.Equal(HttpStatusCode.NotFound, (await c.GetTextAsync("/get?k=username")).Status);
            }

            // A rotation cannot carry the old session into a new id.
            using (var c = Replaying(app, SessionCookie, adaCookie))
            {
                await c.PostAsync("/rotate");
                Assert.Equal(HttpStatusCode.NotFound, (await c.GetTextAsync("/get?k=secret")).Status);
                Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetTextAsync("/peek")).Status);
            }
        }

        // Nothing was deleted (the key dies by its TTL or cleanup), yet no path handed anything of it out.
        Assert.True(await Server.Db.KeyExistsAsync(first.Store.KeyFor(adaCookie)));
        Assert.True(await Server.Db.KeyExistsAsync(first.Store.KeyFor(carolCookie)));
        // A devices listing does not show them, and deletes those of its user as it prunes them.
        Assert.Empty(await second.Store.Users.GetUserSessionsAsync("ada"));
        Assert.False(await Server.Db.KeyExistsAsync(first.Store.KeyFor(adaCookie)));
        Assert.Empty(await second.Store.Users.GetUserSessionsAsync("bob"));
        Assert.All(await second.Store.Users.LiveHandlesAsync(handles, TestContext.Current.CancellationToken), Assert.Null);

        // Signing in again after it works, on both instances, and is listed.
        using var adaAgain = second.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await adaAgain.PostTextAsync("/signin?user=ada")).Status);
        Assert.Equal((HttpStatusCode.OK, "ada"), await adaAgain.GetTextAsync("/peek"));
        Assert.Equal((HttpStatusCode.OK, "1"), await adaAgain.GetTextAsync("/view"));
        using var bobAgain = first.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await bobAgain.PostTextAsync("/auth/login?user=bob")).Status);
        Assert.Equal((HttpStatusCode.OK, "bob"), await bobAgain.GetTextAsync("/auth/me"));
        Assert.Single(await first.Store.Users.GetUserSessionsAsync("ada"));
        Assert.Single(await first.Store.Users.GetUserSessionsAsync("bob"));
        var fresh = SessionIds.Handle(adaAgain.Cookie(SessionCookie)!);
        Assert.Equal([fresh], await first.Store.Users.LiveHandlesAsync([fresh], TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AttackerReplayingAnOldCookie_GetsANewEmptySession_NeverTheOldData()
    {
        await using var app = await StartAsync(Server.PrefixFor());
        using var victim = app.CreateClient();
        await victim.PostTextAsync("/set?k=card&v=4111");
        var stolen = victim.Cookie(SessionCookie)!;

        await app.Store.Users.RevokeEverythingAsync();

        // A write-only request (no read first) with the stolen cookie: a new session under a new id.
        using var attacker = Replaying(app, SessionCookie, stolen);
        Assert.Equal(HttpStatusCode.OK, (await attacker.PostTextAsync("/set?k=mine&v=1")).Status);
        var issued = attacker.Cookie(SessionCookie)!;
        Assert.NotEqual(stolen, issued);
        Assert.Equal((HttpStatusCode.OK, "mine"), await attacker.GetTextAsync("/keys"));
        Assert.Equal(HttpStatusCode.NotFound, (await attacker.GetTextAsync("/get?k=card")).Status);

        // The write did not bring the old session back: the stolen cookie is still nobody's.
        using var again = Replaying(app, SessionCookie, stolen);
        Assert.Equal((HttpStatusCode.OK, string.Empty), await again.GetTextAsync("/keys"));
        Assert.Equal(LoadStatus.NotFound, (await app.Store.LoadAsync(stolen)).Status);
    }

    [Fact]
    public async Task Store_LoadCommitAtomicsAndRotation_RefuseASessionCreatedBefore()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        var values = new SessionChanges();
        values.Set("flash", "hello"u8.ToArray());
        values.Set("n", "5"u8.ToArray());
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, values)).Status);
        var loadedBefore = (await store.LoadAsync(id)).Record!;

        await store.Users.RevokeEverythingAsync();

        Assert.Equal(LoadStatus.NotFound, (await store.LoadAsync(id)).Status);
        Assert.Equal(LoadStatus.NotFound, store.Load(id).Status);
        var taken = await store.TakeAsync(id, "flash");
        Assert.Equal(CommitStatus.Gone, taken.Status);
        Assert.Null(taken.Value);
        Assert.Equal(CommitStatus.Gone, (await store.IncrementAsync(id, "visits")).Status);
        Assert.Equal(CommitStatus.Gone, (await store.SetIfAbsentAsync(id, "x", "1"u8.ToArray())).Status);
        var write = new SessionChanges();
        write.Set("after", "1"u8.ToArray());
        Assert.Equal(CommitStatus.Gone, (await store.CommitAsync(id, write)).Status);
        Assert.Equal(LoadStatus.NotFound, (await store.LoadAsync(id)).Status);

        // A request that loaded before the revocation rotates after it: the new id is just as dead.
        // (The rotation itself goes through: it keeps '#c', which is the point.)
        var rotated = await store.RotateAsync(loadedBefore, new SessionChanges());
        Assert.Equal(CommitStatus.Committed, rotated.Status);
        Assert.Equal(loadedBefore.Metadata.Created.ToUnixTimeMilliseconds(), (long)await Server.Db.HashGetAsync(store.KeyFor(rotated.SessionId), "#c"));
        Assert.Equal(LoadStatus.NotFound, (await store.LoadAsync(rotated.SessionId)).Status);
        Assert.Equal(CommitStatus.Gone, (await store.TakeAsync(rotated.SessionId, "flash")).Status);
        Assert.Equal(LoadStatus.Rotated, (await store.LoadAsync(id)).Status);
    }

    [Fact]
    public async Task Increment_OfASessionEndedByEveryone_IsRefused_AndNeverRecreatesIt()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, new SessionChanges())).Status);
        Assert.Equal(2, (await store.IncrementAsync(id, "n", 2)).Value);
        var key = store.KeyFor(id);

        await store.Users.RevokeEverythingAsync();

        // The attacker's bumps with the cookie he kept: refused, the counter never handed out.
        for (var n = 0; n < 3; n++)
        {
            Assert.Equal(CommitStatus.Gone, (await store.IncrementAsync(id, "n")).Status);
        }

        if (Server is not ClusterFixture)
        {
            // One node: the script read the epoch itself and refused before writing.
            Assert.Equal("2", (string?)await Server.Db.HashGetAsync(key, "n"));
        }

        Assert.Equal(LoadStatus.NotFound, (await store.LoadAsync(id)).Status);
        await store.DestroyAsync(id);
        Assert.Equal(CommitStatus.Gone, (await store.IncrementAsync(id, "n")).Status);
        Assert.False(await Server.Db.KeyExistsAsync(key));
    }

    [Fact]
    public async Task SessionsCreatedAfter_Work_AndTheEpochOnlyMovesForward()
    {
        var store = Server.CreateStore();
        Assert.Null(await store.Users.EveryoneRevokedAtAsync());
        var first = await store.Users.RevokeEverythingAsync();
        var second = await store.Users.RevokeEverythingAsync();
        Assert.True(second > first, $"{second:O} after {first:O}");
        Assert.Equal(second, await store.Users.EveryoneRevokedAtAsync());

        // Created right after it returned (no wait): live on every path.
        var id = SessionIds.NewId();
        var values = new SessionChanges();
        values.Set("flash", "hi"u8.ToArray());
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, values)).Status);
        var loaded = await store.LoadAsync(id);
        Assert.Equal(LoadStatus.Found, loaded.Status);
        Assert.True(loaded.Record!.Metadata.Created > second);
        Assert.Equal(1, (await store.IncrementAsync(id, "n")).Value);
        Assert.Equal("hi", Encoding.UTF8.GetString((await store.TakeAsync(id, "flash")).Value!));
        var write = new SessionChanges();
        write.Set("k", "v"u8.ToArray());
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(id, write)).Status);
        var rotated = await store.RotateAsync((await store.LoadAsync(id)).Record!, new SessionChanges());
        Assert.Equal(CommitStatus.Committed, rotated.Status);
        Assert.Equal("v", Encoding.UTF8.GetString((await store.LoadAsync(rotated.SessionId)).Record!.Values["k"]));
    }

    [Fact]
    public async Task DeviceLimit_DenyNew_DoesNotCountDevicesTheRevocationEnded()
    {
        var store = Server.CreateStore(o =>
        {
            o.MaxSessionsPerUser = 1;
            o.SessionLimitPolicy = SessionLimitPolicy.DenyNew;
        });
        var before = SessionIds.NewId();
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(before, new SessionChanges(), new SessionWrite { UserId = "grace" })).Status);
        await Assert.ThrowsAsync<SessionLimitException>(() => store.CreateAsync(SessionIds.NewId(), new SessionChanges(), new SessionWrite { UserId = "grace" }));

        await store.Users.RevokeEverythingAsync();

        // The index still names the dead device; the limit looks past it (and deletes the dead key: no erasure can miss it).
        var after = SessionIds.NewId();
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(after, new SessionChanges(), new SessionWrite { UserId = "grace" })).Status);
        var devices = await store.Users.GetUserSessionsAsync("grace");
        Assert.Equal([SessionIds.Handle(after)], devices.Select(d => d.Handle));
        Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(before)));
    }

    [Fact]
    public async Task OtherPrefixes_AreUntouched()
    {
        var revoked = Server.CreateStore();
        var other = Server.CreateStore();
        var id = SessionIds.NewId();
        await other.CreateAsync(id, new SessionChanges());
        await revoked.Users.RevokeEverythingAsync();
        Assert.Equal(LoadStatus.Found, (await other.LoadAsync(id)).Status);
        Assert.Null(await other.Users.EveryoneRevokedAtAsync());
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{revoked.Options.KeyPrefix}everyone-revoked"), (string?)revoked.Users.EveryoneRevokedKey);
    }
}

public sealed class RedisRevokeEverythingTests(RedisFixture server) : RevokeEverythingBehaviour(server);

public sealed class GarnetRevokeEverythingTests(GarnetFixture server) : RevokeEverythingBehaviour(server);

public sealed class ValkeyRevokeEverythingTests(ValkeyFixture server) : RevokeEverythingBehaviour(server);

public sealed class ClusterRevokeEverythingTests(ClusterFixture server) : RevokeEverythingBehaviour(server);
