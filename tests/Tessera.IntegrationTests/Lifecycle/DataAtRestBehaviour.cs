using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// What someone with write access to Redis, or a hostile value, can do to the data at rest (issue 13),
/// on a real server.
/// </summary>
public abstract class DataAtRestBehaviour(ServerFixture server)
{
    private static readonly string Key1 = EncryptionOptions.NewKey();
    private static readonly string Key2 = EncryptionOptions.NewKey();

    protected ServerFixture Server { get; } = server;

    [Theory]
    [InlineData("isAdmin", "1")]
    [InlineData("username", "1\"><b>x")]
    [InlineData("role", "-1")]
    public async Task Encrypted_AForgedPlaintextValue_IsNeverReadAsTheAppsValue(string field, string forged)
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), o => o.Encryption.AddKey(1, Key1, active: true));
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var key = app.Store.KeyFor(client.Cookie("__Host-Tessera")!);
        await Server.Db.HashSetAsync(key, field, forged);

        var (status, body) = await client.GetTextAsync($"/get?k={field}");
        // Either the forged value is ignored (a well-formed integer only a counter may hold) or the
        // session is refused as corrupt; never is the forged text served as the app's value.
        Assert.True(status is HttpStatusCode.NotFound || body != forged, $"served the forged value {forged}");
        Assert.NotEqual(forged, body);
    }

    [Fact]
    public async Task Encrypted_CountersStillCount_AndReadBackAsCounters()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), o => o.Encryption.AddKey(1, Key1, active: true), map: a =>
            a.MapGet("/counter", (HttpContext ctx, string k) => Results.Text(ctx.Session.AsTessera().GetInt64(k)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none")));
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/view"));
        Assert.Equal((HttpStatusCode.OK, "2"), await client.GetTextAsync("/view"));
        Assert.Equal((HttpStatusCode.OK, "2"), await client.GetTextAsync("/counter?k=page_views"));
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
    }

    [Fact]
    public async Task Encrypted_CompareAndSet_ComparesPlaintexts_Atomically()
    {
        var store = Server.CreateStore(o => o.Encryption.AddKey(1, Key1, active: true));
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("state", "a"u8.ToArray());
        await store.CreateAsync(id, changes);

        Assert.True((await store.CompareAndSetAsync(id, "state", "a"u8.ToArray(), "b"u8.ToArray())).Succeeded);
        Assert.False((await store.CompareAndSetAsync(id, "state", "a"u8.ToArray(), "c"u8.ToArray())).Succeeded);
        Assert.True((await store.CompareAndSetAsync(id, "fresh", null, "x"u8.ToArray())).Succeeded);
        Assert.False((await store.CompareAndSetAsync(id, "fresh", null, "y"u8.ToArray())).Succeeded);
        var record = (await store.LoadAsync(id)).Record!;
        Assert.Equal("b", Encoding.UTF8.GetString(record.Values["state"]));
        Assert.Equal("x", Encoding.UTF8.GetString(record.Values["fresh"]));

        // 20 racers from "b": exactly one wins.
        var wins = await Task.WhenAll(Enumerable.Range(0, 20).Select(n => store.CompareAndSetAsync(id, "state", "b"u8.ToArray(), Encoding.UTF8.GetBytes($"w{n}"))));
        Assert.Single(wins, w => w.Succeeded);
    }

    [Fact]
    public async Task KeyRotation_AReadOnlyRequestsReencryption_NeverOverwritesAConcurrentUpdate()
    {
        var prefix = Server.PrefixFor();
        var old = Server.CreateStore(o => { o.KeyPrefix = prefix; o.Encryption.AddKey(1, Key1, active: true); });
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("k", "v1"u8.ToArray());
        await old.CreateAsync(id, changes);

        var rotated = Server.CreateStore(o =>
        {
            o.KeyPrefix = prefix;
            o.Encryption.AddKey(1, Key1);
            o.Encryption.AddKey(2, Key2, active: true);
        });
        var slowRead = (await rotated.LoadAsync(id)).Record!;
        Assert.Contains("k", slowRead.Stale);
        var update = new SessionChanges();
        update.Set("k", "v2"u8.ToArray());
        await rotated.CommitAsync(id, update);

        Assert.Equal(0, await rotated.RewriteStaleAsync(slowRead));
        Assert.Equal("v2", Encoding.UTF8.GetString((await rotated.LoadAsync(id)).Record!.Values["k"]));
        // Unraced, the rewrite does happen: the value moves to the active key.
        var fresh = Server.CreateStore(o => { o.KeyPrefix = prefix; o.Encryption.AddKey(1, Key1, active: true); });
        var other = SessionIds.NewId();
        await fresh.CreateAsync(other, changes);
        Assert.Equal(1, await rotated.RewriteStaleAsync((await rotated.LoadAsync(other)).Record!));
        Assert.Empty((await rotated.LoadAsync(other)).Record!.Stale);
    }

    [Fact]
    public async Task WideSession_ClearsInChunks_AndAShrinkingCommitPassesAnOverLimitSession()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), map: MapWide);
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var key = app.Store.KeyFor(client.Cookie("__Host-Tessera")!);
        var fields = Enumerable.Range(0, 8_100).Select(n => new HashEntry($"f{n}", "\0x")).ToArray();
        await Server.Db.HashSetAsync(key, fields);

        // Over MaxSessionFields (1,000 by default): it cannot grow, and can shrink.
        using (var grow = await client.PostAsync("/set?k=one&v=more"))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, grow.StatusCode);
            Assert.Contains("MaxSessionFields", await grow.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.False(await Server.Db.HashExistsAsync(key, "one"));
        Assert.Equal((HttpStatusCode.OK, "removed"), await client.PostTextAsync("/remove?k=f1"));
        Assert.Equal((HttpStatusCode.OK, "cleared"), await client.PostTextAsync("/clear"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=f1")).Status);
        Assert.True(await Server.Db.HashLengthAsync(key) < 20);
    }

    [Fact]
    public async Task ManySmallValues_OverMaxSessionFields_Are413NamingIt_AndNothingIsWritten()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), map: MapWide);

        // A new visitor whose first request would create a session of 1,001 values.
        using var visitor = app.CreateClient();
        using (var refused = await visitor.PostAsync("/fill?n=1001"))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            Assert.Contains("MaxSessionFields (1000)", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Null(visitor.Cookie("__Host-Tessera"));

        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var key = app.Store.KeyFor(client.Cookie("__Host-Tessera")!);
        var before = await Server.Db.HashGetAllAsync(key);
        // The 8,100 one-byte values: far under MaxSessionBytes by their bytes, far over the field limit.
        using (var wide = await client.PostAsync("/fill?n=8100"))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, wide.StatusCode);
            Assert.Contains("MaxSessionFields", await wide.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(
            before.Where(e => e.Name != "#a").OrderBy(e => (string?)e.Name, StringComparer.Ordinal),
            (await Server.Db.HashGetAllAsync(key)).Where(e => e.Name != "#a").OrderBy(e => (string?)e.Name, StringComparer.Ordinal));

        // Up to the limit: "username" and 999 more are 1,000 values; metadata fields do not count.
        Assert.Equal((HttpStatusCode.OK, "filled"), await client.PostTextAsync("/fill?n=999"));
        using (var oneMore = await client.PostAsync("/set?k=one&v=more"))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oneMore.StatusCode);
        }

        Assert.False(await Server.Db.HashExistsAsync(key, "one"));
        Assert.Equal((HttpStatusCode.OK, "x"), await client.GetTextAsync("/get?k=f998"));
        // Replacing a value adds none: it goes through at the limit.
        Assert.Equal((HttpStatusCode.OK, "set"), await client.PostTextAsync("/set?k=f5&v=y"));
        Assert.Equal((HttpStatusCode.OK, "y"), await client.GetTextAsync("/get?k=f5"));
    }

    [Fact]
    public async Task OverFieldLimitAfterARestart_TheSessionCanShrinkAndClear_ButNotGrow()
    {
        var prefix = Server.PrefixFor();
        await using var before = await TestApp.StartAsync(Server.Endpoint, prefix, map: MapWide);
        using var client = before.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        Assert.Equal((HttpStatusCode.OK, "filled"), await client.PostTextAsync("/fill?n=30"));
        var id = client.Cookie("__Host-Tessera")!;

        // The app restarts with a lower limit: the session's 31 values are over it.
        await using var app = await TestApp.StartAsync(Server.Endpoint, prefix, o => o.MaxSessionFields = 10, map: MapWide);
        using var same = app.CreateClient();
        same.SetCookie("__Host-Tessera", id);
        Assert.Equal((HttpStatusCode.OK, "removed"), await same.PostTextAsync("/remove?k=f0"));
        Assert.Equal((HttpStatusCode.OK, "set"), await same.PostTextAsync("/set?k=f1&v=y"));
        using (var grow = await same.PostAsync("/set?k=new&v=1"))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, grow.StatusCode);
            Assert.Contains("MaxSessionFields (10)", await grow.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await same.GetTextAsync("/get?k=new")).Status);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await same.PostTextAsync("/incr?k=visits")).Status);
        Assert.Equal((HttpStatusCode.OK, "cleared"), await same.PostTextAsync("/clear"));
        Assert.Equal((HttpStatusCode.OK, "filled"), await same.PostTextAsync("/fill?n=10"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await same.PostTextAsync("/set?k=eleventh&v=1")).Status);
        Assert.Equal(id, same.Cookie("__Host-Tessera"));
    }

    [Fact]
    public async Task AtomicOperations_RespectTheFieldLimit_OnlyWhenTheyAddAValue()
    {
        var prefix = Server.PrefixFor();
        var store = Server.CreateStore(o => { o.KeyPrefix = prefix; o.MaxSessionFields = 3; });
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("a", "1"u8.ToArray());
        changes.Set("b", "2"u8.ToArray());
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes, new SessionWrite { UserId = "ada", ClientIp = "10.0.0.1", UserAgent = "test" })).Status);
        var key = store.KeyFor(id);

        Assert.Equal(CommitStatus.Committed, (await store.IncrementAsync(id, "c")).Status);
        var refused = await store.IncrementAsync(id, "d");
        Assert.Equal((CommitStatus.TooLarge, SessionSizeLimit.Fields), (refused.Status, refused.ExceededLimit));
        Assert.False(await Server.Db.HashExistsAsync(key, "d"));
        // At the limit, what adds no value still works: bumping, replacing, removing.
        Assert.Equal(2, (await store.IncrementAsync(id, "c")).Value);
        Assert.Equal(SessionSizeLimit.Fields, (await store.SetIfAbsentAsync(id, "e", "5"u8.ToArray())).ExceededLimit);
        Assert.Equal(SessionSizeLimit.Fields, (await store.CompareAndSetAsync(id, "e", null, "5"u8.ToArray())).ExceededLimit);
        Assert.False(await Server.Db.HashExistsAsync(key, "e"));
        Assert.False((await store.SetIfAbsentAsync(id, "a", "9"u8.ToArray())).Succeeded);
        Assert.True((await store.CompareAndSetAsync(id, "a", "1"u8.ToArray(), "3"u8.ToArray())).Succeeded);
        Assert.True((await store.RemoveAsync(id, "a")).Succeeded);
        Assert.True((await store.SetIfAbsentAsync(id, "e", "5"u8.ToArray())).Succeeded);
        var grow = new SessionChanges();
        grow.Set("f", "6"u8.ToArray());
        var commit = await store.CommitAsync(id, grow);
        Assert.Equal((CommitStatus.TooLarge, SessionSizeLimit.Fields), (commit.Status, commit.ExceededLimit));
        var bytes = await Server.CreateStore(o => { o.KeyPrefix = prefix; o.MaxSessionBytes = 10; }).CommitAsync(id, grow);
        Assert.Equal((CommitStatus.TooLarge, SessionSizeLimit.Bytes), (bytes.Status, bytes.ExceededLimit));
    }

    [Fact]
    public async Task StoredSize_CountsAPerFieldOverhead_AndEveryWriteKeepsItExact()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        var key = store.KeyFor(id);
        var changes = new SessionChanges();
        for (var n = 0; n < 100; n++)
        {
            changes.Set($"v{n:00}", "x"u8.ToArray());
        }

        await store.CreateAsync(id, changes);
        // 100 one-byte values: each a 3-byte name, 2 stored bytes (header and value) and 40 bytes of overhead.
        Assert.Equal(100 * (3 + 2 + 40), (await store.LoadAsync(id)).Record!.Metadata.Size);
        Assert.Equal(100 * (3 + 2 + 40), (long)await Server.Db.HashGetAsync(key, "#s"));

        var commit = new SessionChanges();
        commit.Remove("v00");
        commit.Remove("absent");
        commit.Set("v01", new byte[30]);
        commit.Set("new", new byte[7]);
        await store.CommitAsync(id, commit);
        await AssertSizeIsExactAsync(key);
        await store.IncrementAsync(id, "count", 9);
        await AssertSizeIsExactAsync(key);
        await store.IncrementAsync(id, "count");
        await AssertSizeIsExactAsync(key);
        await store.SetIfAbsentAsync(id, "once", "1"u8.ToArray());
        await store.CompareAndSetAsync(id, "fresh", null, "abc"u8.ToArray());
        await store.CompareAndSetAsync(id, "once", "1"u8.ToArray(), "longer"u8.ToArray());
        await AssertSizeIsExactAsync(key);
        await store.RemoveAsync(id, "fresh");
        await store.RemoveAsync(id, "count");
        await AssertSizeIsExactAsync(key);
        var clear = new SessionChanges();
        clear.Clear();
        clear.Set("only", "1"u8.ToArray());
        await store.CommitAsync(id, clear);
        await AssertSizeIsExactAsync(key);
        Assert.Equal(4 + 2 + 40, (await store.LoadAsync(id)).Record!.Metadata.Size);
    }

    private async Task AssertSizeIsExactAsync(RedisKey key)
    {
        var entries = await Server.Db.HashGetAllAsync(key);
        var counted = entries
            .Where(e => Tessera.Internal.SessionLayout.ToKey((string)e.Name!) is not null)
            .Sum(e => (long)((byte[])e.Name!).Length + ((byte[])e.Value!).Length + 40);
        Assert.Equal(counted, (long)entries.Single(e => e.Name == "#s").Value);
    }

    /// <summary>Maps <c>/fill?n=</c> (one request sets <c>f0</c> to <c>f{n-1}</c> to "x") and <c>/clear</c>.</summary>
    private static void MapWide(WebApplication app)
    {
        app.MapPost("/fill", (HttpContext ctx, int n) =>
        {
            for (var i = 0; i < n; i++)
            {
                ctx.Session.SetString($"f{i}", "x");
            }

            return Results.Text("filled");
        });
        app.MapPost("/clear", (HttpContext ctx) =>
        {
            ctx.Session.Clear();
            return Results.Text("cleared");
        });
    }

    [Fact]
    public async Task OverLimitSession_AcceptsAShrinkingCommit_AndCountersRespectTheLimit()
    {
        // Each value counts its name, its stored bytes (a header byte and the value) and 40 bytes.
        var store = Server.CreateStore(o => o.MaxSessionBytes = 200);
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("a", new byte[60]);
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes)).Status);
        // Someone lowered the limit, or wrote directly: the session is now over it (102 + 122 bytes).
        await Server.Db.HashSetAsync(store.KeyFor(id), [new HashEntry("b", new byte[81]), new HashEntry("#s", 224)]);
        var shrink = new SessionChanges();
        shrink.Remove("b");
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(id, shrink)).Status);
        var grow = new SessionChanges();
        grow.Set("c", new byte[100]);
        Assert.Equal(CommitStatus.TooLarge, (await store.CommitAsync(id, grow)).Status);

        var full = SessionIds.NewId();
        var big = new SessionChanges();
        big.Set("x", new byte[150]);
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(full, big)).Status);
        Assert.Equal(CommitStatus.TooLarge, (await store.IncrementAsync(full, "counter")).Status);
        Assert.False(await Server.Db.HashExistsAsync(store.KeyFor(full), "counter"));
    }

    [Fact]
    public async Task DecompressionBomb_IsCorrupt_NotAMemorySpike()
    {
        var store = Server.CreateStore(o =>
        {
            o.Compression.Enabled = true;
            o.MaxSessionBytes = 64 * 1024;
        });
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("a", "1"u8.ToArray());
        await store.CreateAsync(id, changes);

        // 64 MiB of zeros, deflated to a few dozen KB, with the header of a compressed value.
        using var packed = new MemoryStream();
        packed.WriteByte(1);
        packed.WriteByte((byte)CompressionAlgorithm.Deflate);
        using (var deflate = new DeflateStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (var n = 0; n < 64; n++)
            {
                deflate.Write(zeros);
            }
        }

        await Server.Db.HashSetAsync(store.KeyFor(id), "bomb", packed.ToArray());
        var before = GC.GetTotalAllocatedBytes();
        Assert.Equal(LoadStatus.Corrupt, (await store.LoadAsync(id)).Status);
        Assert.InRange(GC.GetTotalAllocatedBytes() - before, 0, 16L << 20);
    }

    [Fact]
    public void RefreshGranularity_LongerThanHalfTheIdleTimeout_IsRefusedAtStart()
    {
        var result = new TesseraOptionsValidator().Validate(null, new TesseraOptions
        {
            Configuration = "localhost",
            IdleTimeout = TimeSpan.FromSeconds(3),
            RefreshGranularity = TimeSpan.FromSeconds(60),
        });
        Assert.True(result.Failed);
        Assert.Contains("RefreshGranularity", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PerSessionIdleShorterThanTheGranularity_StillSlidesWhileRead()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(10);
            o.RefreshGranularity = TimeSpan.FromSeconds(60);
        });
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/ttl?idleSeconds=3")).Status);
        // Read every 0.5 s for 6 s: twice the idle timeout; the session must stay.
        for (var n = 0; n < 12; n++)
        {
            await Task.Delay(500);
            Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        }
    }

    [Fact]
    public async Task UserAgent_WithTerminalEscapes_IsStoredWithoutThem()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor());
        using var client = app.CreateClient();
        client.Http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "evil\u001b]0;pwned\u0007\u001b[2J\u202Egnp.exe");
        await client.PostTextAsync("/signin?user=ada");
        var agent = (string?)await Server.Db.HashGetAsync(app.Store.KeyFor(client.Cookie("__Host-Tessera")!), "#ua");
        Assert.NotNull(agent);
        Assert.DoesNotContain(agent!, c => TerminalText.IsUnsafe(c));
        Assert.StartsWith("evil", agent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IncrementOfAText_IsATypedError_AndNothingChanges()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), map: a =>
            a.MapPost("/incr-safe", async (HttpContext ctx, string k) =>
            {
                try
                {
                    return Results.Text((await ctx.Session.AsTessera().IncrementAsync(k)).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                catch (SessionValueTypeException)
                {
                    return Results.Conflict("not a counter");
                }
            }));
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostTextAsync("/incr-safe?k=username")).Status);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
    }

    [Fact]
    public async Task AForeignTypeUnderAUserIndexKey_NeverBecomesA500()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor());
        await Server.Db.StringSetAsync(app.Store.Users.UserKeyFor("ada"), "not an index");
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/signin?user=ada")).Status);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetTextAsync("/devices")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/logout-others")).Status);
        Assert.Equal("not an index", (string?)await Server.Db.StringGetAsync(app.Store.Users.UserKeyFor("ada")));
    }
}

public sealed class RedisDataAtRestTests(RedisFixture server) : DataAtRestBehaviour(server);

public sealed class GarnetDataAtRestTests(GarnetFixture server) : DataAtRestBehaviour(server);
