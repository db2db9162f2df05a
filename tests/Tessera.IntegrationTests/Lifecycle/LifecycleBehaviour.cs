using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>Rotation, timeouts, the user index, client binding, size limit and events, on each server kind.</summary>
public abstract class LifecycleBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    private Task<TestApp> StartAppAsync(Action<TesseraSessionOptions>? configure = null, Action<IServiceCollection>? services = null, Action<WebApplication>? beforeSession = null) =>
        TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), configure, services: services, beforeSession: beforeSession);

    [Fact]
    public async Task Rotate_IssuesNewId_CarriesData_AndKillsTheOldIdAtOnce()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        await client.GetTextAsync("/view");
        var oldId = client.Cookie("__Host-Tessera")!;

        using var rotated = await client.PostAsync("/rotate");
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newId = client.Cookie("__Host-Tessera")!;
        Assert.NotEqual(oldId, newId);
        Assert.True(SessionIds.IsValid(newId));
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        // The counter was carried as a counter: it still increments atomically.
        Assert.Equal((HttpStatusCode.OK, "2"), await client.GetTextAsync("/view"));

        using var attacker = app.CreateClient();
        attacker.SetCookie("__Host-Tessera", oldId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetTextAsync("/peek")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await attacker.GetTextAsync("/get?k=username")).Status);
        // The old key is only a short-lived tombstone.
        var ttl = await Server.Db.KeyTimeToLiveAsync(app.Store.KeyFor(oldId));
        Assert.InRange(ttl!.Value, TimeSpan.Zero, app.Store.Options.RotationGracePeriod);
        Assert.False(await Server.Db.HashExistsAsync(app.Store.KeyFor(oldId), "username"));
    }

    [Fact]
    public async Task RequestInFlight_DuringRotation_CommitsIntoTheNewSession()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        var initial = new SessionChanges();
        initial.Set("cart", "1 book"u8.ToArray());
        await store.CreateAsync(id, initial);

        // Request A loads, then request B rotates, then A commits its change; and C wrote between.
        var loadedByA = (await store.LoadAsync(id)).Record!;
        var loadedByB = (await store.LoadAsync(id)).Record!;
        var rotated = await store.RotateAsync(loadedByB, new SessionChanges());
        Assert.Equal(CommitStatus.Committed, rotated.Status);

        var changeOfA = new SessionChanges();
        changeOfA.Set("theme", "dark"u8.ToArray());
        var committed = await store.CommitAsync(loadedByA.Id, changeOfA);
        Assert.Equal(CommitStatus.Committed, committed.Status);
        // The tombstone names the new session's handle: A's commit lands there without learning the new id.
        Assert.Equal(SessionIds.Handle(rotated.SessionId), committed.SessionId);

        var now = (await store.LoadAsync(rotated.SessionId)).Record!;
        Assert.Equal("dark", Encoding.UTF8.GetString(now.Values["theme"]));
        Assert.Equal("1 book", Encoding.UTF8.GetString(now.Values["cart"]));
        // Unlike express-session's regenerate, nothing was dropped; unlike Spring's RENAME, A did not fail.
        Assert.Equal(LoadStatus.Rotated, (await store.LoadAsync(id)).Status);
    }

    [Fact]
    public async Task WritesBetweenLoadAndSeal_AreCopiedIntoTheNewSession()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        var initial = new SessionChanges();
        initial.Set("a", "1"u8.ToArray());
        initial.Set("b", "1"u8.ToArray());
        await store.CreateAsync(id, initial);
        var snapshot = (await store.LoadAsync(id)).Record!;

        // Another request changes a, removes b and adds c after the rotating request loaded.
        var other = new SessionChanges();
        other.Set("a", "2"u8.ToArray());
        other.Remove("b");
        other.Set("c", "3"u8.ToArray());
        await store.CommitAsync(id, other);

        var pending = new SessionChanges();
        pending.Set("d", "4"u8.ToArray());
        var rotated = await store.RotateAsync(snapshot, pending);
        var record = (await store.LoadAsync(rotated.SessionId)).Record!;
        Assert.Equal("2", Encoding.UTF8.GetString(record.Values["a"]));
        Assert.False(record.Values.ContainsKey("b"));
        Assert.Equal("3", Encoding.UTF8.GetString(record.Values["c"]));
        Assert.Equal("4", Encoding.UTF8.GetString(record.Values["d"]));
        Assert.Equal(snapshot.Metadata.Created, record.Metadata.Created);
        Assert.Equal(snapshot.Metadata.AbsoluteDeadline, record.Metadata.AbsoluteDeadline);
    }

    [Fact]
    public async Task Rotate_OfASessionThatEnded_CreatesNothing()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        var initial = new SessionChanges();
        initial.Set("a", "1"u8.ToArray());
        await store.CreateAsync(id, initial);
        var snapshot = (await store.LoadAsync(id)).Record!;
        await store.DestroyAsync(id);
        var result = await store.RotateAsync(snapshot, new SessionChanges());
        Assert.Equal(CommitStatus.Gone, result.Status);
        Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(id)));
    }

    [Fact]
    public async Task SessionFixation_TheAttackersIdNeverBecomesTheAuthenticatedSession()
    {
        await using var app = await StartAppAsync();
        // The attacker gets a real anonymous session and plants its id in the victim's browser.
        using var attacker = app.CreateClient();
        await attacker.PostTextAsync("/set?k=trap&v=1");
        var planted = attacker.Cookie("__Host-Tessera")!;
        using var victim = app.CreateClient();
        victim.SetCookie("__Host-Tessera", planted);

        await victim.PostTextAsync("/signin?user=victim");
        var victimId = victim.Cookie("__Host-Tessera")!;
        Assert.NotEqual(planted, victimId);
        Assert.Equal((HttpStatusCode.OK, "victim"), await victim.GetTextAsync("/peek"));
        // The attacker's id is dead: it reads nothing, and cannot reach the victim's session.
        Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetTextAsync("/peek")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await attacker.GetTextAsync("/get?k=username")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await attacker.GetTextAsync("/get?k=trap")).Status);
    }

    [Fact]
    public async Task UserIndex_ListsDevices_AndLogOutOthersKeepsTheCurrentOne()
    {
        await using var app = await StartAppAsync();
        using var laptop = app.CreateClient();
        using var phone = app.CreateClient();
        laptop.Http.DefaultRequestHeaders.UserAgent.ParseAdd("Laptop/1.0");
        phone.Http.DefaultRequestHeaders.UserAgent.ParseAdd("Phone/2.0");
        await laptop.PostTextAsync("/signin?user=grace");
        await phone.PostTextAsync("/signin?user=grace");

        var (status, body) = await laptop.GetTextAsync("/devices");
        Assert.Equal(HttpStatusCode.OK, status);
        using var devices = JsonDocument.Parse(body);
        Assert.Equal(2, devices.RootElement.GetArrayLength());
        var agents = devices.RootElement.EnumerateArray().Select(d => d.GetProperty("agent").GetString()).Order().ToArray();
        Assert.Equal(["Laptop/1.0", "Phone/2.0"], agents);
        Assert.Single(devices.RootElement.EnumerateArray(), d => d.GetProperty("current").GetBoolean());

        Assert.Equal((HttpStatusCode.OK, "1"), await laptop.PostTextAsync("/logout-others"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.GetTextAsync("/peek")).Status);
        Assert.Equal((HttpStatusCode.OK, "grace"), await laptop.GetTextAsync("/peek"));
        var sessions = await app.Store.Users.GetUserSessionsAsync("grace");
        Assert.Equal(SessionIds.Handle(laptop.Cookie("__Host-Tessera")!), Assert.Single(sessions).Handle);
    }

    [Fact]
    public async Task RevokeAll_And_RevokeOne_EndSessions_AndTheIndexStaysRight()
    {
        await using var app = await StartAppAsync();
        var clients = Enumerable.Range(0, 3).Select(_ => app.CreateClient()).ToArray();
        foreach (var c in clients)
        {
            await c.PostTextAsync("/signin?user=linus");
        }

        var ids = clients.Select(c => c.Cookie("__Host-Tessera")!).ToArray();
        Assert.True(await app.Store.Users.RevokeAsync(ids[0]));
        Assert.Equal(HttpStatusCode.Unauthorized, (await clients[0].GetTextAsync("/peek")).Status);
        Assert.Equal(2, (await app.Store.Users.GetUserSessionsAsync("linus")).Count);

        // A session that expired on its own is dropped from the listing without keyspace notifications.
        await Server.Db.KeyDeleteAsync(app.Store.KeyFor(ids[1]));
        Assert.Equal(SessionIds.Handle(ids[2]), Assert.Single(await app.Store.Users.GetUserSessionsAsync("linus")).Handle);

        Assert.Equal(1, await app.Store.Users.RevokeUserSessionsAsync("linus"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await clients[2].GetTextAsync("/peek")).Status);
        Assert.Empty(await app.Store.Users.GetUserSessionsAsync("linus"));
        foreach (var c in clients)
        {
            c.Dispose();
        }
    }

    [Fact]
    public async Task Logout_RemovesTheSessionFromItsUsersIndex()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/signin?user=barbara");
        Assert.Single(await app.Store.Users.GetUserSessionsAsync("barbara"));
        await client.PostTextAsync("/logout");
        Assert.Equal(0, await Server.Db.SortedSetLengthAsync(app.Store.Users.UserKeyFor("barbara")));
    }

    [Fact]
    public async Task PerSessionIdleTimeout_IsStored_AndRedisExpiresTheSession()
    {
        await using var app = await StartAppAsync(o => o.IdleTimeout = TimeSpan.FromMinutes(20));
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        await client.PostTextAsync("/ttl?idleSeconds=1");
        var id = client.Cookie("__Host-Tessera")!;
        var ttl = await Server.Db.KeyTimeToLiveAsync(app.Store.KeyFor(id));
        Assert.InRange(ttl!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(1), (await app.Store.LoadAsync(id)).Record?.Metadata.IdleTimeout ?? TimeSpan.FromSeconds(1));
        // Watch the key without reading the session (a read would slide the expiry).
        var expired = await Eventually.WaitAsync(async () => !await Server.Db.KeyExistsAsync(app.Store.KeyFor(id)), TimeSpan.FromSeconds(5));
        Assert.True(expired, "a 1 s idle timeout should end the session within 5 s");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/peek")).Status);
    }

    [Fact]
    public async Task BadTimeout_IsAClearError_NotStored()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var (status, body) = await client.PostTextAsync("/ttl?idleSeconds=-5");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("idle timeout", body, StringComparison.Ordinal);
        var record = (await app.Store.LoadAsync(client.Cookie("__Host-Tessera")!)).Record!;
        Assert.Equal(app.Store.Options.IdleTimeout, record.Metadata.IdleTimeout);
    }

    [Theory]
    [InlineData(ClientBindingMode.Address, "10.0.0.1", "10.0.0.2", false)]
    [InlineData(ClientBindingMode.Address, "10.0.0.1", "10.0.0.1", true)]
    [InlineData(ClientBindingMode.Subnet, "10.0.0.1", "10.0.0.200", true)]
    [InlineData(ClientBindingMode.Subnet, "10.0.0.1", "10.0.1.1", false)]
    [InlineData(ClientBindingMode.Subnet, "2001:db8::1", "2001:db8::ffff", true)]
    [InlineData(ClientBindingMode.Subnet, "2001:db8::1", "2001:db8:0:1::1", false)]
    public async Task ClientBinding_BehindAProxy_HonoursOnlyTheBoundClient(ClientBindingMode mode, string first, string second, bool honoured)
    {
        await using var app = await StartAppAsync(
            o => o.ClientBinding.Mode = mode,
            services: s => s.Configure<ForwardedHeadersOptions>(f =>
            {
                f.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
                f.KnownIPNetworks.Clear();
                f.KnownProxies.Clear();
            }),
            beforeSession: a => a.UseForwardedHeaders());
        using var client = app.CreateClient();
        client.Http.DefaultRequestHeaders.Add("X-Forwarded-For", first);
        await client.PostTextAsync("/login?user=ada");
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));

        client.Http.DefaultRequestHeaders.Remove("X-Forwarded-For");
        client.Http.DefaultRequestHeaders.Add("X-Forwarded-For", second);
        var (status, _) = await client.GetTextAsync("/peek");
        Assert.Equal(honoured ? HttpStatusCode.OK : HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task ClientBinding_Reject_Gives403_AndRaisesAnEvent()
    {
        var events = new ConcurrentQueue<TesseraEvent>();
        await using var app = await StartAppAsync(
            o =>
            {
                o.ClientBinding.UserAgent = true;
                o.ClientBinding.OnMismatch = BindingMismatchAction.Reject;
            },
            services: s => s.AddSingleton<ITesseraObserver>(new Recorder(events)));
        using var client = app.CreateClient();
        client.Http.DefaultRequestHeaders.UserAgent.ParseAdd("Browser/1");
        await client.PostTextAsync("/login?user=ada");
        client.Http.DefaultRequestHeaders.UserAgent.Clear();
        client.Http.DefaultRequestHeaders.UserAgent.ParseAdd("Stolen/9");
        using var response = await client.GetAsync("/peek");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(events, e => e.Kind == TesseraEventKind.BindingRejected && e.Detail == "user-agent");
    }

    [Fact]
    public async Task Events_AreRaisedForCreateRotateDestroyRevoke_WithTagsNotIds()
    {
        var events = new ConcurrentQueue<TesseraEvent>();
        await using var app = await StartAppAsync(services: s => s.AddSingleton<ITesseraObserver>(new Recorder(events)));
        using var client = app.CreateClient();
        await client.PostTextAsync("/set?k=a&v=1");
        var first = client.Cookie("__Host-Tessera")!;
        await client.PostTextAsync("/signin?user=ev");
        var second = client.Cookie("__Host-Tessera")!;
        await client.PostTextAsync("/logout");
        using var other = app.CreateClient();
        await other.PostTextAsync("/signin?user=ev");
        await app.Store.Users.RevokeUserSessionsAsync("ev");

        var kinds = events.Select(e => e.Kind).ToList();
        Assert.Contains(TesseraEventKind.Created, kinds);
        Assert.Contains(events, e => e.Kind == TesseraEventKind.Rotated && e.SessionTag == SessionIds.LogTag(first) && e.NewSessionTag == SessionIds.LogTag(second) && e.UserId == "ev");
        Assert.Contains(events, e => e.Kind == TesseraEventKind.Destroyed && e.SessionTag == SessionIds.LogTag(second));
        Assert.Contains(events, e => e.Kind == TesseraEventKind.Revoked && e.UserId == "ev");
        Assert.DoesNotContain(events, e => e.SessionTag.Length != 8);
    }

    [Fact]
    public async Task SessionOverMaxSize_Gives413_AndNothingIsHalfWritten()
    {
        await using var app = await StartAppAsync(o => o.MaxSessionBytes = 10_000);
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/big?bytes=5000")).Status);
        using var tooBig = await client.PostAsync("/big?bytes=20000");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        // The handler wrote "stored", but the commit failed as the response started: problem details only.
        Assert.Equal("application/problem+json", tooBig.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("stored", await tooBig.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var record = (await app.Store.LoadAsync(client.Cookie("__Host-Tessera")!)).Record!;
        Assert.Equal(5000, record.Values["big"].Length);
    }

    private sealed class Recorder(ConcurrentQueue<TesseraEvent> events) : ITesseraObserver
    {
        public void OnEvent(in TesseraEvent sessionEvent) => events.Enqueue(sessionEvent);
    }

    [Fact]
    public async Task RememberMe_AfterSignIn_MovesTheIndexScoreToTheNewDeadline()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), map: a =>
            a.MapPost("/remember", async (Microsoft.AspNetCore.Http.HttpContext ctx, string user) =>
            {
                var s = ctx.Session.AsTessera();
                await s.SignInAsync(user);
                s.SetTimeouts(absoluteTimeout: TimeSpan.FromDays(30));
                return Microsoft.AspNetCore.Http.Results.Text("ok");
            }));
        using var client = app.CreateClient();
        await client.PostTextAsync("/remember?user=ruth");
        var id = client.Cookie("__Host-Tessera")!;
        var deadline = long.Parse((string)(await Server.Db.HashGetAsync(app.Store.KeyFor(id), "#d"))!, System.Globalization.CultureInfo.InvariantCulture);
        var score = await Server.Db.SortedSetScoreAsync(app.Store.Users.UserKeyFor("ruth"), SessionIds.Handle(id));
        Assert.True(deadline > DateTimeOffset.UtcNow.AddDays(29).ToUnixTimeMilliseconds());
        Assert.Equal(deadline, (long)score!.Value);
    }

    [Fact]
    public async Task DefaultCookie_IsHostPrefixed_WhereThePrefixsRulesHold_ElseTheFallback()
    {
        await using var strict = await StartAppAsync();
        using var client = strict.CreateClient();
        using var response = await client.PostAsync("/set?k=a&v=1");
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-Tessera=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);

        await using var lax = await StartAppAsync(o => o.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest);
        using var other = lax.CreateClient();
        using var second = await other.PostAsync("/set?k=a&v=1");
        Assert.Contains(second.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".Tessera=", StringComparison.Ordinal));
    }
}

public sealed class RedisLifecycleTests(RedisFixture server) : LifecycleBehaviour(server);

public sealed class GarnetLifecycleTests(GarnetFixture server) : LifecycleBehaviour(server);
