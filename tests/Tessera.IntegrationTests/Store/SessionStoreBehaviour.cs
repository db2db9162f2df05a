using System.Text;
using StackExchange.Redis;
using static Tessera.IntegrationTests.TestChanges;

namespace Tessera.IntegrationTests;

/// <summary>The behaviour of the store, run against each server kind.</summary>
public abstract class SessionStoreBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    private static string Text(SessionRecord record, string key) => Encoding.UTF8.GetString(record.Values[key]);

    [Fact]
    public async Task Create_ThenLoad_ReturnsValuesAndMetadata()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        var created = await store.CreateAsync(id, Changes(("name", "ada"), ("lang", "fr")), new SessionWrite { UserId = "u1" });
        Assert.Equal(CommitStatus.Committed, created.Status);

        var loaded = await store.LoadAsync(id);
        Assert.Equal(LoadStatus.Found, loaded.Status);
        var record = loaded.Record!;
        Assert.Equal("ada", Text(record, "name"));
        Assert.Equal("fr", Text(record, "lang"));
        Assert.Equal(2, record.Values.Count);
        Assert.Equal("u1", record.Metadata.UserId);
        Assert.Equal(store.Options.IdleTimeout, record.Metadata.IdleTimeout);
        Assert.InRange(record.Metadata.AbsoluteDeadline - record.Metadata.Created, store.Options.AbsoluteTimeout, store.Options.AbsoluteTimeout);
        Assert.InRange(record.Metadata.Created, record.ServerTime.AddMinutes(-1), record.ServerTime);
    }

    [Fact]
    public async Task Create_WhenKeyExists_ReportsConflictAndKeepsData()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1")));
        var again = await store.CreateAsync(id, Changes(("a", "2")));
        Assert.Equal(CommitStatus.Conflict, again.Status);
        Assert.Equal("1", Text((await store.LoadAsync(id)).Record!, "a"));
    }

    [Fact]
    public async Task Load_UnknownId_NotFound()
    {
        var store = Server.CreateStore();
        Assert.Equal(LoadStatus.NotFound, (await store.LoadAsync(SessionIds.NewId())).Status);
    }

    [Fact]
    public async Task Load_MalformedId_ThrowsBeforeAskingRedis()
    {
        var store = Server.CreateStore();
        await Assert.ThrowsAsync<ArgumentException>(() => store.LoadAsync("../../etc/passwd"));
    }

    [Fact]
    public async Task Create_SetsKeyTtl_ToSoonerOfIdleAndAbsolute()
    {
        var store = Server.CreateStore(o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(30);
            o.AbsoluteTimeout = TimeSpan.FromMinutes(30);
        });
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1")));
        var ttl = await Server.Db.KeyTimeToLiveAsync(store.KeyFor(id));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));

        var shortAbsolute = Server.CreateStore(o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(30);
            o.AbsoluteTimeout = TimeSpan.FromMinutes(40);
        });
        var id2 = SessionIds.NewId();
        await shortAbsolute.CreateAsync(id2, Changes(("a", "1")));
        // Absolute deadline earlier than idle expiry: the key's TTL follows the deadline.
        var deadline = DateTimeOffset.UtcNow.AddMinutes(5);
        var commit = await shortAbsolute.CommitAsync(id2, Changes(("b", "2")), new SessionWrite { AbsoluteDeadline = deadline });
        Assert.Equal(CommitStatus.Committed, commit.Status);
        var ttl2 = await Server.Db.KeyTimeToLiveAsync(shortAbsolute.KeyFor(id2));
        Assert.InRange(ttl2!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5.1));
    }

    [Fact]
    public async Task Commit_WritesOnlyChangedFields_KeepingOthersWrittenMeanwhile()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1"), ("b", "1")));

        // Two requests load the same session; each changes a different key.
        var first = new SessionChanges();
        first.Set("a", "2"u8.ToArray());
        var second = new SessionChanges();
        second.Set("c", "3"u8.ToArray());
        second.Remove("b");
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(id, first)).Status);
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(id, second)).Status);

        var record = (await store.LoadAsync(id)).Record!;
        Assert.Equal("2", Text(record, "a"));
        Assert.Equal("3", Text(record, "c"));
        Assert.False(record.Values.ContainsKey("b"));
    }

    [Fact]
    public async Task Commit_Clear_RemovesEveryValueButKeepsMetadata()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1"), ("#odd", "2")), new SessionWrite { UserId = "u" });
        var changes = new SessionChanges();
        changes.Clear();
        changes.Set("z", "9"u8.ToArray());
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(id, changes)).Status);
        var record = (await store.LoadAsync(id)).Record!;
        Assert.Equal(["z"], record.Values.Keys);
        Assert.Equal("u", record.Metadata.UserId);
    }

    [Fact]
    public async Task Commit_AfterDestroy_DoesNotResurrect()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1")));
        Assert.True(await store.DestroyAsync(id));

        var result = await store.CommitAsync(id, Changes(("a", "2")));
        Assert.Equal(CommitStatus.Gone, result.Status);
        Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(id)));
    }

    [Fact]
    public async Task CallerKeys_ThatLookLikeMetadata_CannotOverwriteIt()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("#d", "0"), ("#i", "1"), ("##x", "y")));
        var record = (await store.LoadAsync(id)).Record!;
        Assert.Equal("0", Text(record, "#d"));
        Assert.Equal("1", Text(record, "#i"));
        Assert.Equal("y", Text(record, "##x"));
        Assert.Equal(store.Options.IdleTimeout, record.Metadata.IdleTimeout);
        Assert.True(record.Metadata.AbsoluteDeadline > record.ServerTime);
    }

    [Theory]
    [InlineData("string")]
    [InlineData("hash-without-metadata")]
    [InlineData("bad-value-header")]
    [InlineData("bad-metadata-number")]
    public async Task Load_ForeignOrCorruptData_IsCorruptNotAnError(string kind)
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        var key = store.KeyFor(id);
        switch (kind)
        {
            case "string":
                await Server.Db.StringSetAsync(key, "not a session");
                break;
            case "hash-without-metadata":
                await Server.Db.HashSetAsync(key, "foo", "bar");
                break;
            case "bad-value-header":
                await store.CreateAsync(id, Changes(("a", "1")));
                await Server.Db.HashSetAsync(key, "a", new byte[] { 0x7f, 1, 2 });
                break;
            default:
                await store.CreateAsync(id, Changes(("a", "1")));
                await Server.Db.HashSetAsync(key, "#c", "yesterday");
                break;
        }

        Assert.Equal(LoadStatus.Corrupt, (await store.LoadAsync(id)).Status);
        if (kind is "string" or "hash-without-metadata")
        {
            // A commit never writes over data that is not a session.
            Assert.Equal(CommitStatus.Corrupt, (await store.CommitAsync(id, Changes(("a", "2")))).Status);
            Assert.Equal(CommitStatus.Corrupt, (await store.IncrementAsync(id, "n")).Status);
            Assert.False(await Server.Db.HashExistsAsync(key, "a").ContinueWith(t => t.IsCompletedSuccessfully && t.Result));
        }
    }

    [Fact]
    public async Task Load_RefreshesSlidingExpiry_OnlyPastTheGranularity()
    {
        var coarse = Server.CreateStore(o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(10);
            o.RefreshGranularity = TimeSpan.FromMinutes(1);
        });
        var id = SessionIds.NewId();
        await coarse.CreateAsync(id, Changes(("a", "1")));
        await Server.Db.KeyExpireAsync(coarse.KeyFor(id), TimeSpan.FromMinutes(5));
        await coarse.LoadAsync(id);
        // Within the granularity: the read wrote nothing, the shortened TTL stays.
        Assert.InRange((await Server.Db.KeyTimeToLiveAsync(coarse.KeyFor(id)))!.Value, TimeSpan.Zero, TimeSpan.FromMinutes(5));

        var fine = Server.CreateStore(o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(10);
            o.RefreshGranularity = TimeSpan.FromMilliseconds(1);
        });
        var id2 = SessionIds.NewId();
        await fine.CreateAsync(id2, Changes(("a", "1")));
        await Server.Db.KeyExpireAsync(fine.KeyFor(id2), TimeSpan.FromMinutes(5));
        await Task.Delay(5);
        await fine.LoadAsync(id2);
        // Past the granularity: the read refreshed the sliding expiry to the full idle timeout.
        Assert.InRange((await Server.Db.KeyTimeToLiveAsync(fine.KeyFor(id2)))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task Load_PastAbsoluteDeadline_IsExpiredAndDeleted()
    {
        var store = Server.CreateStore(o => o.IdleTimeout = TimeSpan.FromMinutes(10));
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1")));
        // Move the deadline into the past behind the store's back (as time passing would).
        await Server.Db.HashSetAsync(store.KeyFor(id), "#d", DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds());
        Assert.Equal(LoadStatus.Expired, (await store.LoadAsync(id)).Status);
        Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(id)));
    }

    [Fact]
    public async Task Refresh_NeverCreatesAKey_NorLengthensATombstone()
    {
        var store = Server.CreateStore(o =>
        {
            o.RefreshGranularity = TimeSpan.FromMilliseconds(1);
            o.RotationGracePeriod = TimeSpan.FromSeconds(5);
        });
        var missing = SessionIds.NewId();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1")));
        await store.RotateAsync((await store.LoadAsync(id)).Record!, new SessionChanges());
        await Task.Delay(20);
        store.Touch(missing);
        store.Touch(id);
        // The same connection: these run after the refreshes.
        Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(missing)));
        var ttl = await Server.Db.KeyTimeToLiveAsync(store.KeyFor(id));
        Assert.InRange(ttl!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.False(await Server.Db.HashExistsAsync(store.KeyFor(id), "#a"));
    }

    [Fact]
    public async Task IdleTimeout_IsEnforcedByRedis()
    {
        var store = Server.CreateStore(o =>
        {
            o.IdleTimeout = TimeSpan.FromSeconds(1);
            o.AbsoluteTimeout = TimeSpan.FromSeconds(1);
        });
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1")));
        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(id)).Status);
        var gone = await Eventually.WaitAsync(async () => (await store.LoadAsync(id)).Status != LoadStatus.Found, TimeSpan.FromSeconds(5));
        Assert.True(gone, "the session should expire within 5 s of a 1 s idle timeout");
    }

    [Fact]
    public async Task Increment_CountsAtomically_AndRejectsNonIntegers()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("name", "x")));
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => store.IncrementAsync(id, "n")));
        Assert.All(results, r => Assert.Equal(CommitStatus.Committed, r.Status));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), results.Select(r => r.Value).Order());
        Assert.Equal("200", Text((await store.LoadAsync(id)).Record!, "n"));
        await Assert.ThrowsAsync<SessionValueTypeException>(() => store.IncrementAsync(id, "name"));
    }

    [Fact]
    public async Task Increment_OnMissingSession_IsGoneAndCreatesNothing()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        var result = await store.IncrementAsync(id, "n");
        Assert.Equal(CommitStatus.Gone, result.Status);
        Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(id)));
    }

    [Fact]
    public async Task Increment_RefreshesTheSlidingExpiry_OnlyPastTheGranularity()
    {
        var coarse = Server.CreateStore(o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(10);
            o.RefreshGranularity = TimeSpan.FromMinutes(1);
        });
        var id = SessionIds.NewId();
        await coarse.CreateAsync(id, Changes(("a", "1")));
        await Server.Db.KeyExpireAsync(coarse.KeyFor(id), TimeSpan.FromMinutes(5));
        Assert.Equal(1, (await coarse.IncrementAsync(id, "n")).Value);
        // Within the granularity: the bump wrote the counter only, the shortened TTL stays.
        Assert.InRange((await Server.Db.KeyTimeToLiveAsync(coarse.KeyFor(id)))!.Value, TimeSpan.Zero, TimeSpan.FromMinutes(5));

        var fine = Server.CreateStore(o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(10);
            o.RefreshGranularity = TimeSpan.FromMilliseconds(1);
        });
        var id2 = SessionIds.NewId();
        await fine.CreateAsync(id2, Changes(("a", "1")));
        await Server.Db.KeyExpireAsync(fine.KeyFor(id2), TimeSpan.FromMinutes(5));
        var before = (long)await Server.Db.HashGetAsync(fine.KeyFor(id2), "#a");
        await Task.Delay(5);
        Assert.Equal(1, (await fine.IncrementAsync(id2, "n")).Value);
        // Past the granularity: the bump refreshed the sliding expiry and the last access, on Redis's clock.
        Assert.InRange((await Server.Db.KeyTimeToLiveAsync(fine.KeyFor(id2)))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.True((long)await Server.Db.HashGetAsync(fine.KeyFor(id2), "#a") > before);
    }

    [Fact]
    public async Task Increment_PastAbsoluteDeadline_IsRefusedAndDeleted()
    {
        var store = Server.CreateStore(o => o.IdleTimeout = TimeSpan.FromMinutes(10));
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1")));
        // Move the deadline into the past behind the store's back (as time passing would; the TTL stays).
        await Server.Db.HashSetAsync(store.KeyFor(id), "#d", DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds());
        Assert.NotEqual(CommitStatus.Committed, (await store.IncrementAsync(id, "n")).Status);
        Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(id)));
    }

    [Fact]
    public async Task Create_StoresTheIdIssued_OnlyWhenItIsNotTheCreation()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("name", "ada")));
        // A new session's identifier was issued when it was created: '#ii' would repeat '#c'.
        Assert.False(await Server.Db.HashExistsAsync(store.KeyFor(id), "#ii"));
        var record = (await store.LoadAsync(id)).Record!;
        Assert.Equal(record.Metadata.Created, record.Metadata.IdIssuedAt);

        await Task.Delay(5);
        var rotated = await store.RotateAsync(record, new SessionChanges());
        Assert.Equal(CommitStatus.Committed, rotated.Status);
        var stored = await Server.Db.HashGetAsync(store.KeyFor(rotated.SessionId), ["#c", "#ii"]);
        Assert.True((long)stored[1] > (long)stored[0], $"#ii {stored[1]} after #c {stored[0]}");
        var after = (await store.LoadAsync(rotated.SessionId)).Record!;
        Assert.Equal(record.Metadata.Created, after.Metadata.Created);
        Assert.Equal((long)stored[1], after.Metadata.IdIssuedAt.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task PreviousFormat_WithTheIdIssuedStored_LoadsSlidesBumpsRotatesAndRevokes()
    {
        var store = Server.CreateStore(o =>
        {
            o.IdleTimeout = TimeSpan.FromMinutes(10);
            o.RefreshGranularity = TimeSpan.FromMilliseconds(1);
            o.RotationGracePeriod = TimeSpan.FromSeconds(5);
        });
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("name", "ada")));
        var key = store.KeyFor(id);
        // What the previous version wrote: '#ii' always, equal to '#c' for a session never rotated.
        var created = (long)await Server.Db.HashGetAsync(key, "#c");
        await Server.Db.HashSetAsync(key, "#ii", created);
        await Server.Db.KeyExpireAsync(key, TimeSpan.FromMinutes(5));
        await Task.Delay(5);

        var loaded = await store.LoadAsync(id);
        Assert.Equal(LoadStatus.Found, loaded.Status);
        Assert.Equal("ada", Text(loaded.Record!, "name"));
        Assert.Equal(created, loaded.Record!.Metadata.IdIssuedAt.ToUnixTimeMilliseconds());
        // Slid: the read refreshed the shortened TTL to the full idle timeout.
        Assert.InRange((await Server.Db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.Equal(1, (await store.IncrementAsync(id, "n")).Value);
        Assert.Equal(2, (await store.IncrementAsync(id, "n")).Value);

        await Task.Delay(5);
        var rotated = await store.RotateAsync((await store.LoadAsync(id)).Record!, new SessionChanges());
        Assert.Equal(CommitStatus.Committed, rotated.Status);
        // The old id after rotation, from the attacker's side: its bump writes nothing and makes no session.
        Assert.NotEqual(CommitStatus.Committed, (await store.IncrementAsync(id, "n")).Status);
        Assert.False(await Server.Db.HashExistsAsync(key, "#a"));
        Assert.False(await Server.Db.HashExistsAsync(key, "n"));
        Assert.Equal(3, (await store.IncrementAsync(rotated.SessionId, "n")).Value);

        Assert.True(await store.DestroyAsync(rotated.SessionId));
        Assert.Equal(CommitStatus.Gone, (await store.IncrementAsync(rotated.SessionId, "n")).Status);
        Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(rotated.SessionId)));
    }

    [Fact]
    public async Task SetIfAbsent_And_CompareAndSet_AreConditional()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1")));
        Assert.True((await store.SetIfAbsentAsync(id, "b", "x"u8.ToArray())).Succeeded);
        Assert.False((await store.SetIfAbsentAsync(id, "b", "y"u8.ToArray())).Succeeded);
        Assert.False((await store.CompareAndSetAsync(id, "a", "0"u8.ToArray(), "2"u8.ToArray())).Succeeded);
        Assert.True((await store.CompareAndSetAsync(id, "a", "1"u8.ToArray(), "2"u8.ToArray())).Succeeded);
        Assert.True((await store.CompareAndSetAsync(id, "c", null, "3"u8.ToArray())).Succeeded);
        Assert.True((await store.RemoveAsync(id, "b")).Succeeded);
        var record = (await store.LoadAsync(id)).Record!;
        Assert.Equal("2", Text(record, "a"));
        Assert.Equal("3", Text(record, "c"));
        Assert.False(record.Values.ContainsKey("b"));
    }

    [Fact]
    public async Task Commit_OverMaxSize_WritesNothing()
    {
        var store = Server.CreateStore(o => o.MaxSessionBytes = 1000);
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", new string('x', 400))));
        var changes = Changes(("b", new string('y', 400)), ("c", new string('z', 400)));
        changes.Remove("a");
        // a is removed (400 freed) and b, c add 800: 800 + names, under 1000.
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(id, changes)).Status);
        var tooBig = Changes(("d", new string('w', 300)), ("e", "small"));
        Assert.Equal(CommitStatus.TooLarge, (await store.CommitAsync(id, tooBig)).Status);
        var record = (await store.LoadAsync(id)).Record!;
        Assert.False(record.Values.ContainsKey("d"));
        Assert.False(record.Values.ContainsKey("e"));
        Assert.Equal(CommitStatus.TooLarge, (await store.CreateAsync(SessionIds.NewId(), Changes(("big", new string('q', 2000))))).Status);
    }

    [Fact]
    public async Task Scripts_AreReloaded_AfterScriptFlush()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("a", "1")));
        // Behind the client's back, on every node: a keyless command through Db reaches only one
        // node of a cluster (or a Sentinel set), not necessarily the one that holds the session.
        foreach (var node in Server.Multiplexer.GetServers().Where(n => n.IsConnected))
        {
            await node.ExecuteAsync("SCRIPT", "FLUSH");
        }

        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(id)).Status);
    }
}

public sealed class RedisSessionStoreTests(RedisFixture server) : SessionStoreBehaviour(server);

public sealed class GarnetSessionStoreTests(GarnetFixture server) : SessionStoreBehaviour(server);
