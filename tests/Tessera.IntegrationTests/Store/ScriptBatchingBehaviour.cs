using System.Diagnostics.Metrics;
using System.Text;
using StackExchange.Redis;
using Tessera.Internal;
using static Tessera.IntegrationTests.TestChanges;

namespace Tessera.IntegrationTests;

/// <summary>
/// Counter bumps and session loads that meet go to Redis as one script call (<c>Redis/ScriptBatcher</c>), on each
/// server that is not a Cluster. What a caller relies on: every bump counts exactly once and answers its own
/// value; one session's failure (gone, rotated, ended by "everyone at once", corrupt, not an integer, a key of
/// another type, an error Redis raises) is that call's alone and never fails or changes a neighbour in the same
/// script call; a bump never recreates a session that is gone; a load in a batch sees every write that finished
/// before it began.
/// </summary>
public abstract class ScriptBatchingBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    /// <summary>The sizes of the script calls the store's <paramref name="operation"/> calls went in (its <c>tessera.batch.size</c>).</summary>
    private static MeterListener ListenToBatches(RedisSessionStore store, List<long> sizes, string operation)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, store.Metrics.BatchSize))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (!tags.ToArray().Contains(new KeyValuePair<string, object?>("tessera.operation", operation)))
            {
                return;
            }

            lock (sizes)
            {
                sizes.Add(value);
            }
        });
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task ConcurrentBumps_GoTogether_AndEachCountsOnce_WithItsOwnValue()
    {
        var store = Server.CreateStore();
        var ids = Enumerable.Range(0, 20).Select(_ => SessionIds.NewId()).ToArray();
        foreach (var id in ids)
        {
            await store.CreateAsync(id, Changes(("name", "x")));
        }

        var sizes = new List<long>();
        using (ListenToBatches(store, sizes, "incr"))
        {
            // 20 bumps of each of 20 sessions, all asked at once.
            var bumps = ids.SelectMany(id => Enumerable.Range(0, 20).Select(_ => (id, task: store.IncrementAsync(id, "n")))).ToArray();
            await Task.WhenAll(bumps.Select(b => b.task));
            foreach (var group in bumps.GroupBy(b => b.id))
            {
                // Each session's bumps answered 1..20 once each: none lost, none counted twice, none answered another's value.
                Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), group.Select(b => b.task.Result.Value).Order());
                Assert.All(group, b => Assert.Equal(CommitStatus.Committed, b.task.Result.Status));
                Assert.Equal("20", (string?)await Server.Db.HashGetAsync(store.KeyFor(group.Key), "n"));
            }
        }

        lock (sizes)
        {
            Assert.Equal(400, sizes.Sum());
            // They met: far fewer script calls than bumps, none over the bound.
            Assert.True(sizes.Count < 100, $"{sizes.Count} calls for 400 bumps");
            Assert.All(sizes, s => Assert.InRange(s, 1, 64));
        }
    }

    [Fact]
    public async Task OneCall_OfMixedSessions_AnswersEachOnItsOwn_AndAFailureNeverTouchesItsNeighbours()
    {
        var store = Server.CreateStore();
        var prefix = store.Options.KeyPrefix;
        var db = Server.Db;
        var live = SessionIds.NewId();
        var gone = SessionIds.NewId();
        var rotated = SessionIds.NewId();
        var text = SessionIds.NewId();
        var badSize = SessionIds.NewId();
        var last = SessionIds.NewId();
        foreach (var id in new[] { live, text, badSize, last })
        {
            await store.CreateAsync(id, Changes(("name", "x")));
        }

        await store.IncrementAsync(live, "n");
        await store.IncrementAsync(last, "n");
        // A tombstone: what a rotation leaves under the old id for a moment, naming the new one.
        await db.HashSetAsync(store.KeyFor(rotated), SessionLayout.RotatedTo, SessionIds.Handle(SessionIds.NewId()));
        await db.KeyExpireAsync(store.KeyFor(rotated), TimeSpan.FromMinutes(1));
        // A size field edited by hand: the bump's HINCRBY of '#s' raises inside the script (after its counter moved).
        await db.HashSetAsync(store.KeyFor(badSize), "#s", "not-a-number");
        var other = (RedisKey)(prefix + "not-a-hash-" + Guid.NewGuid().ToString("N"));
        await db.StringSetAsync(other, "x");

        var keys = new[] { live, gone, rotated, text, badSize }.Select(store.KeyFor).Append(other).Append(store.KeyFor(last)).ToArray();
        var fields = new RedisValue[] { "n", "n", "n", "name", "fresh", "n", "n" };
        var args = new List<RedisValue> { 0, 0, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        foreach (var f in fields)
        {
            args.Add(f);
            args.Add(1);
        }

        var reply = (RedisResult[])(await db.ScriptEvaluateAsync(LuaScripts.Increment, [.. keys, SessionLayout.EveryoneRevokedKey(prefix)], [.. args]))!;
        Assert.Equal(keys.Length, reply.Length);
        Assert.Equal([(int)ScriptStatus.Ok, 2L], [(int)reply[0][0], (long)reply[0][2]]);
        Assert.Equal((int)ScriptStatus.NotFound, (int)reply[1][0]);
        Assert.Equal((int)ScriptStatus.Rotated, (int)reply[2][0]);
        Assert.Equal((int)ScriptStatus.NotInteger, (int)reply[3][0]);
        // The error Redis raised for that bump alone, as a string; the bumps after it still ran.
        Assert.Equal(ResultType.BulkString, reply[4].Resp2Type);
        Assert.Contains("not an integer", reply[4].ToString(), StringComparison.Ordinal);
        Assert.Equal((int)ScriptStatus.Corrupt, (int)reply[5][0]);
        Assert.Equal([(int)ScriptStatus.Ok, 2L], [(int)reply[6][0], (long)reply[6][2]]);

        // Nothing was created for the session that is gone, the other type is untouched, the text is still text.
        Assert.False(await db.KeyExistsAsync(store.KeyFor(gone)));
        Assert.Equal("x", (string?)await db.StringGetAsync(other));
        Assert.Equal("name", (await store.LoadAsync(text)).Record!.Values.Keys.Single());
    }

    [Fact]
    public async Task OneCall_RefusesSessionsEndedByEveryoneAtOnce_AndWritesNothingToThem()
    {
        var store = Server.CreateStore();
        var db = Server.Db;
        var before = SessionIds.NewId();
        await store.CreateAsync(before, Changes(("name", "x")));
        await store.Users.RevokeEverythingAsync();
        await Task.Delay(5);
        var after = SessionIds.NewId();
        await store.CreateAsync(after, Changes(("name", "y")));

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(n => store.IncrementAsync(n % 2 == 0 ? before : after, "n")));
        Assert.All(results.Where((_, n) => n % 2 == 0), r => Assert.Equal(CommitStatus.Gone, r.Status));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), results.Where((_, n) => n % 2 == 1).Select(r => r.Value).Order());
        Assert.False(await db.HashExistsAsync(store.KeyFor(before), "n"));
    }

    [Fact]
    public async Task BumpsRacingALogout_NeverRecreateTheSession()
    {
        var store = Server.CreateStore();
        for (var round = 0; round < 10; round++)
        {
            var id = SessionIds.NewId();
            await store.CreateAsync(id, Changes(("name", "x")));
            var bumps = Enumerable.Range(0, 60).Select(_ => store.IncrementAsync(id, "n")).ToList();
            var logout = store.DestroyAsync(id);
            bumps.AddRange(Enumerable.Range(0, 60).Select(_ => store.IncrementAsync(id, "n")));
            await logout;
            await Task.WhenAll(bumps);
            Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(id)), $"round {round}: a bump recreated the session after its logout");
            Assert.All(bumps, b => Assert.True(b.Result.Status is CommitStatus.Committed or CommitStatus.Gone, b.Result.Status.ToString()));
        }
    }

    [Fact]
    public async Task ConcurrentLoads_GoTogether_EachGetsItsOwnSession_AndAKeyOfAnotherTypeFailsAlone()
    {
        var store = Server.CreateStore();
        var ids = Enumerable.Range(0, 30).Select(_ => SessionIds.NewId()).ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            await store.CreateAsync(ids[i], Changes(("who", $"user-{i}")));
        }

        // A string where a session's hash should be (someone with access to Redis), and an id nobody issued.
        var foreign = SessionIds.NewId();
        await Server.Db.StringSetAsync(store.KeyFor(foreign), "x");
        var unknown = SessionIds.NewId();

        var sizes = new List<long>();
        using var listener = ListenToBatches(store, sizes, "load");
        for (var round = 0; round < 5; round++)
        {
            var loads = ids.Select(id => store.LoadAsync(id)).Append(store.LoadAsync(foreign)).Append(store.LoadAsync(unknown)).ToArray();
            var results = await Task.WhenAll(loads);
            for (var i = 0; i < ids.Length; i++)
            {
                Assert.Equal(LoadStatus.Found, results[i].Status);
                Assert.Equal($"user-{i}", Encoding.UTF8.GetString(results[i].Record!.Values["who"]));
            }

            Assert.Equal(LoadStatus.Corrupt, results[ids.Length].Status);
            Assert.Equal(LoadStatus.NotFound, results[ids.Length + 1].Status);
        }

        lock (sizes)
        {
            // 160 loads in far fewer calls, none over the read's bound (a whole session per answer).
            Assert.Equal(5 * (ids.Length + 2), sizes.Sum());
            Assert.True(sizes.Count < 5 * (ids.Length + 2) / 2, $"{sizes.Count} calls");
            Assert.All(sizes, s => Assert.InRange(s, 1, 16));
        }
    }

    [Fact]
    public async Task ReadMany_ReadsEachHashAndTheEpochInOneStep()
    {
        var store = Server.CreateStore();
        var db = Server.Db;
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("who", "ada")));
        var other = (RedisKey)(store.Options.KeyPrefix + "string-" + Guid.NewGuid().ToString("N"));
        await db.StringSetAsync(other, "x");
        var epochKey = SessionLayout.EveryoneRevokedKey(store.Options.KeyPrefix);

        var reply = (RedisResult[])(await db.ScriptEvaluateAsync(LuaScripts.ReadMany, [store.KeyFor(id), store.KeyFor(SessionIds.NewId()), other, epochKey]))!;
        Assert.Equal(4, reply.Length);
        Assert.True(reply[0].IsNull);
        var hash = (RedisResult[])reply[1]!;
        Assert.Equal((await db.HashGetAllAsync(store.KeyFor(id))).Length * 2, hash.Length);
        Assert.Empty((RedisResult[])reply[2]!);
        Assert.StartsWith("WRONGTYPE", reply[3].ToString(), StringComparison.Ordinal);

        var epoch = await store.Users.RevokeEverythingAsync();
        reply = (RedisResult[])(await db.ScriptEvaluateAsync(LuaScripts.ReadMany, [store.KeyFor(id), epochKey]))!;
        Assert.Equal(epoch.ToUnixTimeMilliseconds(), (long)reply[0]);
    }
}

public sealed class RedisScriptBatchingTests(RedisFixture server) : ScriptBatchingBehaviour(server);

public sealed class GarnetScriptBatchingTests(GarnetFixture server) : ScriptBatchingBehaviour(server);

public sealed class ValkeyScriptBatchingTests(ValkeyFixture server) : ScriptBatchingBehaviour(server);
