using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// The near cache's promises, each from a user's or an attacker's side, between two app instances (two
/// stores, each with its own connections and cache, one key prefix): a repeated read costs Redis no
/// session read; a write finished on one instance is seen by the next read on the other; a logout, a
/// rotation or "everyone at once" is never served from a cache after it returned, even racing cached
/// reads; a lost invalidation connection empties the cache at once and it comes back.
/// </summary>
public abstract class NearCacheBehaviour(ServerFixture server) : IAsyncLifetime
{
    private static readonly TimeSpan Active = TimeSpan.FromSeconds(10);
    private readonly AppInstances _instances = new(server);

    protected ServerFixture Server { get; } = server;

    protected CapturingLoggerProvider Logs { get; } = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _instances.DisposeAsync();

    [Fact]
    public async Task RepeatedRead_OfAnUnchangedSession_IsAnsweredWithoutReadingRedis()
    {
        var prefix = Server.PrefixFor();
        var store = await ActiveInstanceAsync(prefix);
        var id = await NewSessionAsync(store, "ada", "blue");
        Assert.Equal("blue", await ColourAsync(store, id));

        // MONITOR on every node (a Cluster's endpoint lists them all): nothing under the prefix is read anywhere.
        var counters = Server.Endpoint.Split(',').Select(e => new CommandCounter(int.Parse(e.Split(':')[1], CultureInfo.InvariantCulture), prefix)).ToList();
        Func<Task> reads = async () =>
        {
            for (var n = 0; n < 20; n++)
            {
                Assert.Equal("blue", await ColourAsync(store, id));
            }
        };
        var commands = new Dictionary<string, long>();
        foreach (var counter in counters)
        {
            var inner = reads;
            reads = async () =>
            {
                foreach (var (name, count) in await counter.MeasureAsync(inner))
                {
                    commands[name] = commands.GetValueOrDefault(name) + count;
                }
            };
        }

        await reads();
        Assert.Empty(commands);
        Assert.All(counters, c => Assert.Equal(0, c.EpochReads));
        Assert.Equal(2, store.NearCache.Count);
    }

    [Fact]
    public async Task AValueWithItsOwnLifetime_IsNeverServedFromTheCachePastItsDeadline()
    {
        // The cache keeps the hash as Redis sent it and every hit is judged again by the app's clock: a cached
        // value with a lifetime is gone at its deadline though Redis has not changed (no invalidation to wait for).
        var prefix = Server.PrefixFor();
        var store = await ActiveInstanceAsync(prefix);
        var id = SessionIds.NewId();
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
        var changes = new SessionChanges();
        changes.Set("colour", Encoding.UTF8.GetBytes("red"));
        changes.Set("code", Encoding.UTF8.GetBytes("123456"), deadline);
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes)).Status);
        Assert.True((await store.LoadAsync(id)).Record!.Values.ContainsKey("code"));
        Assert.True((await store.LoadAsync(id)).Record!.Values.ContainsKey("code"));
        Assert.Equal(2, store.NearCache.Count);

        // Every read that begins at or after the deadline, cached or not, finds no code.
        int readsAfter = 0, servedAfter = 0;
        while (readsAfter < 20)
        {
            var began = DateTimeOffset.UtcNow;
            var record = (await store.LoadAsync(id)).Record!;
            Assert.Equal("red", Encoding.UTF8.GetString(record.Values["colour"]));
            if (began >= deadline)
            {
                readsAfter++;
                servedAfter += record.Values.ContainsKey("code") ? 1 : 0;
            }
            else
            {
                await Task.Delay(50);
            }
        }

        Assert.Equal(0, servedAfter);
        await Task.Run(() => Poll.Until(() => !Server.Db.HashExists(store.KeyFor(id), "code"), TimeSpan.FromSeconds(10), "the expired value is removed"));
    }

    [Fact]
    public async Task WriteOnOneInstance_IsSeenByTheNextReadOnTheOther_EveryTime()
    {
        var prefix = Server.PrefixFor();
        var writer = await ActiveInstanceAsync(prefix);
        var reader = await ActiveInstanceAsync(prefix);
        var id = await NewSessionAsync(writer, "bea", "c0");

        for (var n = 1; n <= 200; n++)
        {
            // The reader holds the session in its cache...
            Assert.Equal($"c{n - 1}", await ColourAsync(reader, id));
            Assert.Equal($"c{n - 1}", await ColourAsync(reader, id));
            Assert.Equal(2, reader.NearCache.Count);

            // ...the other instance writes and returns...
            var changes = new SessionChanges();
            changes.Set("colour", Encoding.UTF8.GetBytes($"c{n}"));
            Assert.Equal(CommitStatus.Committed, (await writer.CommitAsync(id, changes)).Status);

            // ...and the reader's very next read sees it.
            Assert.Equal($"c{n}", await ColourAsync(reader, id));
        }

        Assert.True(!Logs.Lines.Any(l => l.Id.Id == 132), "the cache was reset: " + string.Join(" | ", Logs.Lines.Where(l => l.Id.Id == 132).Select(l => l.Text)));
    }

    [Fact]
    public async Task Logout_RacingCachedReadsOnTheOtherInstance_IsNeverServedAfterItReturned()
    {
        var prefix = Server.PrefixFor();
        var revoker = await ActiveInstanceAsync(prefix);
        var reader = await ActiveInstanceAsync(prefix);
        for (var round = 0; round < 30; round++)
        {
            var id = await NewSessionAsync(revoker, "cy", "green");
            Assert.Equal("green", await ColourAsync(reader, id));
            var returned = 0L;
            var servedAfter = 0;
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var reading = Task.Run(async () =>
            {
                // Reads in a loop: every read that began after the logout returned must find nothing.
                while (!stop.IsCancellationRequested)
                {
                    var began = Volatile.Read(ref returned);
                    var found = (await reader.LoadAsync(id)).Status == LoadStatus.Found;
                    if (began == 1 && found)
                    {
                        Interlocked.Increment(ref servedAfter);
                    }

                    if (began == 1 && !found)
                    {
                        return;
                    }
                }
            });

            await Task.Delay(Random.Shared.Next(0, 5));
            await revoker.DestroyAsync(id, "cy");
            Volatile.Write(ref returned, 1);
            await reading;
            Assert.Equal(0, servedAfter);
            Assert.False(stop.IsCancellationRequested, "the reader saw the logout within 10 s");
        }

        Assert.True(!Logs.Lines.Any(l => l.Id.Id == 132), "the cache was reset: " + string.Join(" | ", Logs.Lines.Where(l => l.Id.Id == 132).Select(l => l.Text)));
    }

    [Fact]
    public async Task Rotation_AndEveryoneAtOnce_OnOneInstance_AreNeverServedFromTheOthersCache()
    {
        var prefix = Server.PrefixFor();
        var one = await ActiveInstanceAsync(prefix);
        var two = await ActiveInstanceAsync(prefix);

        var old = await NewSessionAsync(one, "dee", "red");
        Assert.Equal("red", await ColourAsync(two, old));
        var rotated = await one.RotateAsync((await one.LoadAsync(old)).Record!, new SessionChanges());
        Assert.Equal(CommitStatus.Committed, rotated.Status);
        Assert.Equal(LoadStatus.Rotated, (await two.LoadAsync(old)).Status);
        Assert.Equal("red", await ColourAsync(two, rotated.SessionId));
        Assert.Equal("red", await ColourAsync(two, rotated.SessionId));

        await one.Users.RevokeEverythingAsync();
        Assert.Equal(LoadStatus.NotFound, (await two.LoadAsync(rotated.SessionId)).Status);
    }

    [Fact]
    public async Task InvalidationConnectionKilled_EmptiesTheCacheAtOnce_ReadsStayRight_AndItComesBack()
    {
        var prefix = Server.PrefixFor();
        var name = "nc" + Guid.NewGuid().ToString("N")[..10];
        var store = await ActiveInstanceAsync(prefix, name);
        var other = await ActiveInstanceAsync(prefix);
        var id = await NewSessionAsync(store, "eve", "blue");
        Assert.Equal("blue", await ColourAsync(store, id));
        Assert.True(store.NearCache.Count > 0);

        var killed = await KillClientAsync(name + "-near-cache");
        Assert.Equal(1, killed);
        Assert.True(await Eventually.WaitAsync(() => Task.FromResult(store.NearCache.Count == 0), TimeSpan.FromSeconds(5)), "the cache is emptied when its connection is killed");

        // A write while the cache is down, then reads: always Redis's current value.
        var changes = new SessionChanges();
        changes.Set("colour", "amber"u8.ToArray());
        Assert.Equal(CommitStatus.Committed, (await other.CommitAsync(id, changes)).Status);
        Assert.Equal("amber", await ColourAsync(store, id));

        Assert.True(await store.NearCache.StartAsync(Active), "the cache registers again");
        Assert.Equal("amber", await ColourAsync(store, id));
        Assert.Equal("amber", await ColourAsync(store, id));
        Assert.True(store.NearCache.Count > 0, "and keeps sessions again");
    }

    protected async Task<RedisSessionStore> ActiveInstanceAsync(string prefix, string? clientName = null)
    {
        var store = _instances.Create(prefix, clientName, o => o.NearCache.Enabled = true, LoggerFactory.Create(b => b.AddProvider(Logs)).CreateLogger<RedisSessionStore>());
        Assert.True(await store.NearCache.StartAsync(Active), $"the near cache is active ({store.NearCache.State})");
        return store;
    }

    protected static async Task<string> NewSessionAsync(RedisSessionStore store, string user, string colour)
    {
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("colour", Encoding.UTF8.GetBytes(colour));
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes, new SessionWrite { UserId = user })).Status);
        return id;
    }

    protected static async Task<string?> ColourAsync(RedisSessionStore store, string id)
    {
        var loaded = await store.LoadAsync(id);
        return loaded.Status == LoadStatus.Found && loaded.Record!.Values.TryGetValue("colour", out var value) ? Encoding.UTF8.GetString(value) : null;
    }

    /// <summary>Kills the named connection on the first primary that has one (on a Cluster each primary has one).</summary>
    private async Task<int> KillClientAsync(string name)
    {
        foreach (var server in Server.Multiplexer.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            foreach (var client in await server.ClientListAsync())
            {
                if (client.Name == name)
                {
                    await server.ExecuteAsync("CLIENT", "KILL", "ID", client.Id.ToString(CultureInfo.InvariantCulture));
                    return 1;
                }
            }
        }

        return 0;
    }
}

public sealed class RedisNearCacheTests(RedisFixture server) : NearCacheBehaviour(server);

public sealed class ValkeyNearCacheTests(ValkeyFixture server) : NearCacheBehaviour(server);

/// <summary>On a Cluster: one invalidation connection per primary, and a read waits for every primary's pong.</summary>
public sealed class ClusterNearCacheTests(ClusterFixture server) : NearCacheBehaviour(server);

/// <summary>Where the cache cannot be told of changes it stays off, says so once, and every read goes to Redis.</summary>
public sealed class NearCacheUnsupportedTests(GarnetFixture garnet)
{
    [Fact]
    public async Task OnGarnet_WithoutClientTracking_ItIsOff_LoggedOnce_AndReadsWork() =>
        await AssertOffAsync(garnet, "CLIENT TRACKING");

    private static async Task AssertOffAsync(ServerFixture server, string reason)
    {
        var logs = new CapturingLoggerProvider();
        using var factory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(logs));
        var options = Options.Create(new TesseraOptions { Configuration = server.Endpoint, KeyPrefix = server.PrefixFor(), NearCache = { Enabled = true } });
        await using var connection = new TesseraConnection(options);
        var store = new RedisSessionStore(connection, options, logger: factory.CreateLogger<RedisSessionStore>());
        Assert.False(await store.NearCache.StartAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(NearCacheState.Unsupported, store.NearCache.State);

        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("colour", "blue"u8.ToArray());
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes)).Status);
        for (var n = 0; n < 3; n++)
        {
            Assert.Equal(LoadStatus.Found, (await store.LoadAsync(id)).Status);
        }

        var off = Assert.Single(logs.Lines, e => e.Id.Id == 131);
        Assert.Contains(reason, off.Text, StringComparison.Ordinal);
        Assert.Equal(0, store.NearCache.Count);
    }
}

/// <summary>An app user the server refuses <c>CLIENT TRACKING</c>: the cache says so once at Warning, keeps trying, and every read goes to Redis.</summary>
public sealed class NearCacheRefusedTests(RedisFixture server)
{
    [Fact]
    public async Task AnAclWithoutClientTracking_IsLoggedOnceAtWarning_AndReadsGoToRedis()
    {
        var user = "nc-" + Guid.NewGuid().ToString("N")[..10];
        var password = Guid.NewGuid().ToString("N");
        await server.Db.ExecuteAsync("ACL", "SETUSER", user, "on", ">" + password, "~*", "&*", "+@all", "-client|tracking");
        try
        {
            var logs = new CapturingLoggerProvider();
            using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
            var options = Options.Create(new TesseraOptions
            {
                Configuration = $"{server.Endpoint},user={user},password={password}",
                KeyPrefix = server.PrefixFor(),
                NearCache = { Enabled = true },
            });
            await using var connection = new TesseraConnection(options);
            var store = new RedisSessionStore(connection, options, logger: factory.CreateLogger<RedisSessionStore>());
            Assert.False(await store.NearCache.StartAsync(TimeSpan.FromSeconds(3)));
            Assert.Equal(NearCacheState.Connecting, store.NearCache.State);

            var id = SessionIds.NewId();
            var changes = new SessionChanges();
            changes.Set("colour", "blue"u8.ToArray());
            Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes)).Status);
            Assert.Equal(LoadStatus.Found, (await store.LoadAsync(id)).Status);
            Assert.Equal(0, store.NearCache.Count);

            // Tried again every second, said once at Warning with the server's reason, then at Debug.
            Assert.True(await Eventually.WaitAsync(() => Task.FromResult(logs.Lines.Any(l => l.Id.Id == 133)), TimeSpan.FromSeconds(5)), "it keeps trying");
            var warning = Assert.Single(logs.Lines, l => l.Id.Id == 134);
            Assert.Equal(LogLevel.Warning, warning.Level);
            Assert.Contains("NOPERM", warning.Text, StringComparison.Ordinal);
        }
        finally
        {
            await server.Db.ExecuteAsync("ACL", "DELUSER", user);
        }
    }
}
