using System.Net;
using System.Text.Json;

namespace Tessera.IntegrationTests;

/// <summary>Parallel requests on one session through the real pipeline: no lost updates, exact counters, no resurrection.</summary>
public abstract class ConcurrencyBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    private static async Task RunBoundedAsync(int count, int parallelism, Func<int, Task> work)
    {
        using var gate = new SemaphoreSlim(parallelism);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(timeout.Token);
            try
            {
                await work(i);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    [Fact]
    public async Task ParallelRequests_ChangingDifferentKeys_AllPersist()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor());
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        // 100 pairs: in each, two requests change different keys of the same session at once.
        await RunBoundedAsync(100, 16, async i =>
        {
            var a = client.PostTextAsync($"/set?k=a{i}&v={i}");
            var b = client.PostTextAsync($"/set?k=b{i}&v={i}");
            Assert.Equal(HttpStatusCode.OK, (await a).Status);
            Assert.Equal(HttpStatusCode.OK, (await b).Status);
        });
        var keys = (await client.GetTextAsync("/keys")).Body.Split(',');
        Assert.Equal(201, keys.Length);
        Assert.All(Enumerable.Range(0, 100), i =>
        {
            Assert.Contains($"a{i}", keys);
            Assert.Contains($"b{i}", keys);
        });
    }

    [Fact]
    public async Task ThousandConcurrentIncrements_GiveExactlyAThousand()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor());
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var seen = new System.Collections.Concurrent.ConcurrentBag<int>();
        await RunBoundedAsync(1000, 64, async _ =>
        {
            var (status, body) = await client.GetTextAsync("/view");
            Assert.Equal(HttpStatusCode.OK, status);
            seen.Add(int.Parse(body, System.Globalization.CultureInfo.InvariantCulture));
        });
        // Every response saw a distinct value, and the last is 1000: no increment was lost or doubled.
        Assert.Equal(Enumerable.Range(1, 1000), seen.Order());
        Assert.Equal((HttpStatusCode.OK, "1001"), await client.GetTextAsync("/view"));
    }

    [Fact]
    public async Task FiftyParallelReadModifyWrites_UnderTheSessionLock_LoseNothing()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor());
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        await RunBoundedAsync(50, 50, async i => Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync($"/cart/add?item=i{i}")).Status));
        var cart = JsonSerializer.Deserialize<List<string>>((await client.GetTextAsync("/cart")).Body)!;
        Assert.Equal(50, cart.Count);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"i{i}").Order(), cart.Order());
        Assert.False(await Server.Db.KeyExistsAsync(app.Store.LockKeyFor(client.Cookie("__Host-Tessera")!)), "every lock is released");
    }

    [Fact]
    public async Task LockHeldElsewhere_GivesAClear409WithinTheWait_ThenExpires()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), o =>
        {
            o.Lock.WaitTimeout = TimeSpan.FromMilliseconds(300);
            o.Lock.LockTimeout = TimeSpan.FromSeconds(1);
        });
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var id = client.Cookie("__Host-Tessera")!;
        // A crashed server's lock: nobody will release it; it expires by itself.
        await Server.Db.StringSetAsync(app.Store.LockKeyFor(id), "crashed-server", TimeSpan.FromSeconds(1));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var refused = await client.PostAsync("/cart/add?item=x");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        // Endpoints without the lock are not held up.
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        var served = await Eventually.WaitAsync(async () => (await client.PostTextAsync("/cart/add?item=y")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(5));
        Assert.True(served, "the crashed server's lock should expire within its timeout");
    }

    [Fact]
    public async Task ThousandRacesOfLogoutAgainstAWrite_ResurrectNothing()
    {
        var store = Server.CreateStore();
        var resurrected = 0;
        await RunBoundedAsync(1000, 16, async i =>
        {
            var id = SessionIds.NewId();
            var first = new SessionChanges();
            first.Set("user", "ada"u8.ToArray());
            await store.CreateAsync(id, first);
            // The request loaded the session before the logout; it commits while the logout runs.
            var loaded = await store.LoadAsync(id);
            Assert.Equal(LoadStatus.Found, loaded.Status);
            var change = new SessionChanges();
            change.Set("cart", "1"u8.ToArray());
            var commit = store.CommitAsync(loaded.Record!.Id, change);
            var logout = store.DestroyAsync(id);
            await Task.WhenAll(commit, logout);
            if (await Server.Db.KeyExistsAsync(store.KeyFor(id)))
            {
                Interlocked.Increment(ref resurrected);
            }
        });
        Assert.Equal(0, resurrected);
    }

    [Fact]
    public async Task HundredRacesThroughHttp_LogoutAgainstReadModifyWrite_ResurrectNothing()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor());
        var resurrected = 0;
        await RunBoundedAsync(100, 8, async _ =>
        {
            using var client = app.CreateClient();
            await client.PostTextAsync("/login?user=ada");
            var id = client.Cookie("__Host-Tessera")!;
            var modify = client.PostTextAsync("/login?user=bob");
            var logout = client.PostTextAsync("/logout");
            await Task.WhenAll(modify, logout);
            if (await Server.Db.KeyExistsAsync(app.Store.KeyFor(id)))
            {
                Interlocked.Increment(ref resurrected);
            }
        });
        Assert.Equal(0, resurrected);
    }
}

public sealed class RedisConcurrencyTests(RedisFixture server) : ConcurrencyBehaviour(server);

public sealed class GarnetConcurrencyTests(GarnetFixture server) : ConcurrencyBehaviour(server);
