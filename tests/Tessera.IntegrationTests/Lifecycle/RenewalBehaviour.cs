using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// The renewal timeout (<see cref="TesseraOptions.RenewalInterval"/>): a session in use gets a new id once
/// its id is older than the interval, through the ordinary rotation and its in-flight rules. Time is moved
/// by the app's clock (an injected <see cref="TimeProvider"/>), never by waiting; only the tombstone's
/// expiry, which Redis enforces, is waited for (bounded).
/// </summary>
public abstract class RenewalBehaviour(ServerFixture server)
{
    private const string Cookie = "__Host-Tessera";
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);
    private static readonly ConcurrentDictionary<string, Gate> Gates = new();

    protected ServerFixture Server { get; } = server;

    private Task<TestApp> StartAppAsync(ShiftedClock clock, Action<TesseraSessionOptions>? configure = null) =>
        TestApp.StartAsync(
            Server.Endpoint,
            Server.PrefixFor(),
            o =>
            {
                o.RenewalInterval = Interval;
                o.RotationGracePeriod = TimeSpan.FromSeconds(1);
                configure?.Invoke(o);
            },
            map: app =>
            {
                app.MapGet("/peek-still", async Task<IResult> (HttpContext ctx) =>
                {
                    await ctx.Session.LoadAsync();
                    return ctx.Session.GetString("username") is { } user ? Results.Text(user) : Results.Text("no session", statusCode: 401);
                }).WithoutSessionSliding();
                // Reads, waits until every racer has read (bounded), then writes its own value.
                app.MapPost("/race", async (HttpContext ctx, string gate, string k, string v) =>
                {
                    await ctx.Session.LoadAsync();
                    var seen = ctx.Session.GetString("username") ?? "-";
                    await Gates[gate].ArriveAsync();
                    ctx.Session.SetString(k, v);
                    return Results.Text(seen);
                });
            },
            services: s => s.AddSingleton<TimeProvider>(clock));

    [Fact]
    public async Task SessionUsedPastTheInterval_GetsANewId_KeepsItsValues_AndTheOldIdIsRefused()
    {
        var clock = new ShiftedClock();
        await using var app = await StartAppAsync(clock);
        using var victim = app.CreateClient();
        await victim.PostTextAsync("/signin?user=ada");
        await victim.PostTextAsync("/set?k=theme&v=dark");
        var oldId = victim.Cookie(Cookie)!;
        var before = await Server.Db.HashGetAllAsync(app.Store.KeyFor(oldId));

        clock.Shift = Interval + TimeSpan.FromMinutes(1);
        using (var renewing = await victim.GetAsync("/peek"))
        {
            Assert.Equal("ada", await renewing.Content.ReadAsStringAsync());
            Assert.True(renewing.Headers.Contains("Set-Cookie"), "the renewing response carries the new id");
        }

        var newId = victim.Cookie(Cookie)!;
        Assert.NotEqual(oldId, newId);
        Assert.True(SessionIds.IsValid(newId));
        clock.Shift = TimeSpan.Zero;
        Assert.Equal((HttpStatusCode.OK, "dark"), await victim.GetTextAsync("/get?k=theme"));
        Assert.Equal((HttpStatusCode.OK, "ada"), await victim.GetTextAsync("/peek"));
        Assert.Equal(newId, victim.Cookie(Cookie));

        // Rotation never extends a session's life: creation and deadline carried, the id's issue time new.
        var after = (await Server.Db.HashGetAllAsync(app.Store.KeyFor(newId))).ToDictionary(e => (string)e.Name!, e => e.Value);
        var old = before.ToDictionary(e => (string)e.Name!, e => e.Value);
        Assert.Equal(old["#c"], after["#c"]);
        Assert.Equal(old["#d"], after["#d"]);
        // ('#ii' is stored only when it is not '#c': absent, the id was issued at creation.)
        Assert.True((long)after["#ii"] >= (long)(old.TryGetValue("#ii", out var issued) ? issued : old["#c"]));
        var record = (await app.Store.LoadAsync(newId)).Record!;
        Assert.Equal("ada", record.Metadata.UserId);

        // The attacker who stole the old id: refused at once, and never handed the new id or the values.
        using var attacker = app.CreateClient();
        attacker.SetCookie(Cookie, oldId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetTextAsync("/peek")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await attacker.GetTextAsync("/get?k=theme")).Status);
        Assert.NotEqual(newId, attacker.Cookie(Cookie));

        // Once the grace period is over the tombstone is gone: a write with the old id forwards nothing.
        Assert.True(await Eventually.WaitAsync(async () => !await Server.Db.KeyExistsAsync(app.Store.KeyFor(oldId)), TimeSpan.FromSeconds(10)), "the tombstone outlived its grace period");
        attacker.SetCookie(Cookie, oldId);
        Assert.Equal(HttpStatusCode.OK, (await attacker.PostTextAsync("/set?k=theme&v=evil")).Status);
        Assert.NotEqual(oldId, attacker.Cookie(Cookie));
        Assert.NotEqual(newId, attacker.Cookie(Cookie));
        Assert.Equal((HttpStatusCode.OK, "dark"), await victim.GetTextAsync("/get?k=theme"));
    }

    [Fact]
    public async Task SessionUsedWithinTheInterval_KeepsItsId_AndPollsOrRequestsThatDoNotReadItNeverRenew()
    {
        var clock = new ShiftedClock();
        await using var app = await StartAppAsync(clock);
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var id = client.Cookie(Cookie)!;

        clock.Shift = Interval - TimeSpan.FromMinutes(1);
        for (var n = 0; n < 3; n++)
        {
            using var response = await client.GetAsync("/peek");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }

        // Due now, but a poll (no sliding) and a request that never reads the session leave the id alone.
        clock.Shift = Interval + TimeSpan.FromMinutes(1);
        using (var poll = await client.GetAsync("/peek-still"))
        {
            Assert.Equal("ada", await poll.Content.ReadAsStringAsync());
            Assert.False(poll.Headers.Contains("Set-Cookie"));
        }

        using (var untouched = await client.GetAsync("/read-nothing"))
        {
            Assert.False(untouched.Headers.Contains("Set-Cookie"));
        }

        Assert.Equal(id, client.Cookie(Cookie));
        Assert.Equal(LoadStatus.Found, (await app.Store.LoadAsync(id)).Status);

        // The first request that reads it renews it.
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        Assert.NotEqual(id, client.Cookie(Cookie));
    }

    [Fact]
    public async Task HeaderTransport_TheRenewedIdGoesOutInTheResponseHeader()
    {
        var clock = new ShiftedClock();
        await using var app = await StartAppAsync(clock, o => o.IdTransport = SessionIdTransport.Header);
        using var client = app.CreateHeaderClient();
        await client.PostTextAsync("/signin?user=ada");
        var oldId = client.Id!;

        clock.Shift = Interval + TimeSpan.FromMinutes(1);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        Assert.NotEqual(oldId, client.Id);
        Assert.True(SessionIds.IsValid(client.Id!));
        Assert.Empty(client.SetCookies);

        clock.Shift = TimeSpan.Zero;
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        Assert.Equal(LoadStatus.Rotated, (await app.Store.LoadAsync(oldId)).Status);
    }

    [Fact]
    public async Task RenewalOff_ByDefault_KeepsTheIdHoweverOld()
    {
        var clock = new ShiftedClock();
        await using var app = await StartAppAsync(clock, o => o.RenewalInterval = null);
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var id = client.Cookie(Cookie)!;
        clock.Shift = TimeSpan.FromHours(11);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        Assert.Equal(id, client.Cookie(Cookie));
    }

    [Fact]
    public async Task ConcurrentRequests_AllDueForRenewal_EndWithOneLiveIdHoldingEveryValue()
    {
        const int Racers = 8;
        var clock = new ShiftedClock();
        await using var app = await StartAppAsync(clock);
        using var client = app.CreateClient();
        await client.PostTextAsync("/signin?user=ada");
        var oldId = client.Cookie(Cookie)!;
        var prefix = app.Store.Options.KeyPrefix;

        clock.Shift = Interval + TimeSpan.FromMinutes(1);
        var gate = Guid.NewGuid().ToString("N");
        Gates[gate] = new Gate(Racers);
        var responses = await Task.WhenAll(Enumerable.Range(0, Racers).Select(async n =>
        {
            using var raw = app.CreateRawClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/race?gate={gate}&k=v{n}&v={n}");
            request.Headers.Add("Cookie", $"{Cookie}={oldId}");
            using var response = await raw.SendAsync(request);
            var cookies = response.Headers.TryGetValues("Set-Cookie", out var set) ? set.ToArray() : [];
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(), cookies);
        }));
        Gates.TryRemove(gate, out _);

        // Every racer read the session (all loaded before any renewed), and exactly one response carries a new id.
        Assert.All(responses, r => Assert.Equal((HttpStatusCode.OK, "ada"), (r.StatusCode, r.Body)));
        var issued = responses.SelectMany(r => r.cookies).Where(c => c.StartsWith(Cookie + "=", StringComparison.Ordinal)).ToArray();
        var renewed = Assert.Single(issued);
        var newId = renewed[(Cookie.Length + 1)..renewed.IndexOf(';', StringComparison.Ordinal)];
        Assert.NotEqual(oldId, newId);

        // One live session under the prefix: the losers deleted the sessions they made; the old key is a tombstone.
        var live = new List<string>();
        await foreach (var key in Server.Multiplexer.GetServer(Server.Multiplexer.GetEndPoints()[0]).KeysAsync(pattern: prefix + "*"))
        {
            if (await Server.Db.KeyTypeAsync(key) == RedisType.Hash && await Server.Db.HashExistsAsync(key, "#a") && !await Server.Db.HashExistsAsync(key, "#r"))
            {
                live.Add(key!);
            }
        }

        Assert.Equal([(string)app.Store.KeyFor(newId)!], live);
        Assert.Equal(LoadStatus.Rotated, (await app.Store.LoadAsync(oldId)).Status);

        // It holds every racer's value (the losers' writes followed the tombstone) and the user's.
        var record = (await app.Store.LoadAsync(newId)).Record!;
        Assert.Equal("ada", record.Metadata.UserId);
        for (var n = 0; n < Racers; n++)
        {
            Assert.True(record.Values.ContainsKey($"v{n}"), $"v{n} was lost");
        }

        // The user's index lists one device: the renewed id.
        var members = await Server.Db.SortedSetRangeByRankAsync(app.Store.Users.UserKeyFor("ada"));
        Assert.Equal([SessionIds.Handle(newId)], members.Select(m => (string)m!).ToArray());
    }

    /// <summary>The app's clock, moved by the test.</summary>
    private sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }

    /// <summary>Holds each racer after its read until all have read (bounded: a racer that never comes fails the test, not hangs it).</summary>
    private sealed class Gate(int count)
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public Task ArriveAsync()
        {
            if (Interlocked.Increment(ref _arrived) == count)
            {
                _all.TrySetResult();
            }

            return _all.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
    }
}

/// <summary>Against redis-server.</summary>
public sealed class RedisRenewalTests(RedisFixture server) : RenewalBehaviour(server);

/// <summary>Against Garnet.</summary>
public sealed class GarnetRenewalTests(GarnetFixture server) : RenewalBehaviour(server);
