using System.Text;
using StackExchange.Redis;
using static Tessera.IntegrationTests.TestChanges;

namespace Tessera.IntegrationTests;

/// <summary>
/// <see cref="RedisSessionStore.TakeAsync(string, string, bool, CancellationToken)"/>: read and remove one
/// value in one step, run against each server kind. Of any number of takes racing for one value exactly
/// one gets it; a take on a session that is gone, rotated or forged gets nothing and writes nothing.
/// </summary>
public abstract class TakeBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    private static string? Text(TakeResult result) => result.Value is { } v ? Encoding.UTF8.GetString(v) : null;

    [Fact]
    public async Task Take_ReturnsTheValueOnce_RemovesItInRedis_AndLowersTheSize()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("msg", "saved"), ("keep", "me")));
        var key = store.KeyFor(id);
        var sizeBefore = (long)await Server.Db.HashGetAsync(key, "#s");

        var first = await store.TakeAsync(id, "msg");
        Assert.Equal(CommitStatus.Committed, first.Status);
        Assert.True(first.Taken);
        Assert.Equal("saved", Text(first));

        var second = await store.TakeAsync(id, "msg");
        Assert.Equal(CommitStatus.Committed, second.Status);
        Assert.False(second.Taken);
        Assert.Null(second.Value);

        Assert.False(await Server.Db.HashExistsAsync(key, "msg"));
        var record = (await store.LoadAsync(id)).Record!;
        Assert.Equal(["keep"], record.Values.Keys);
        // The size counts what is left: name + stored value + the per-field overhead of "msg" are gone.
        var stored = 1 + "saved".Length;
        Assert.Equal(sizeBefore - ("msg".Length + stored + 40), (long)await Server.Db.HashGetAsync(key, "#s"));
    }

    [Fact]
    public async Task Take_TwentyConcurrentTakesOfOneValue_ExactlyOneGetsIt_FiftyTimesOver()
    {
        var store = Server.CreateStore();
        var doubles = 0;
        var none = 0;
        for (var round = 0; round < 50; round++)
        {
            var id = SessionIds.NewId();
            await store.CreateAsync(id, Changes(("msg", $"m{round}")));
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var takes = Enumerable.Range(0, 20).Select(async _ =>
            {
                await gate.Task;
                return await store.TakeAsync(id, "msg");
            }).ToArray();
            gate.SetResult();
            var results = await Task.WhenAll(takes);
            Assert.All(results, r => Assert.Equal(CommitStatus.Committed, r.Status));
            var winners = results.Count(r => r.Taken);
            if (winners > 1)
            {
                doubles++;
            }
            else if (winners == 0)
            {
                none++;
            }
            else
            {
                Assert.Equal($"m{round}", Text(results.Single(r => r.Taken)));
            }
        }

        Assert.Equal(0, doubles);
        Assert.Equal(0, none);
    }

    [Fact]
    public async Task Take_WithTheOldIdAfterARotation_GetsNothing_AndLeavesTheTombstoneAndTheNewSessionAlone()
    {
        // The attacker's request: an old id after rotation (a stolen pre-login cookie).
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("msg", "secret")));
        var rotated = await store.RotateAsync((await store.LoadAsync(id)).Record!, new SessionChanges());
        Assert.Equal(CommitStatus.Committed, rotated.Status);

        var taken = await store.TakeAsync(id, "msg");
        Assert.Equal(CommitStatus.Rotated, taken.Status);
        Assert.Null(taken.Value);

        // The tombstone is still only a forward (no field written into it), and the new session keeps the value.
        var tombstone = await Server.Db.HashGetAllAsync(store.KeyFor(id));
        Assert.Equal(["#r"], tombstone.Select(e => (string)e.Name!));
        Assert.Equal("secret", Encoding.UTF8.GetString((await store.LoadAsync(rotated.SessionId)).Record!.Values["msg"]));
    }

    [Fact]
    public async Task Take_FollowingARotation_TakesFromTheNewSession_Once()
    {
        // A request that read the session before it was rotated follows the tombstone, as its commits do.
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("msg", "hello")));
        var rotated = await store.RotateAsync((await store.LoadAsync(id)).Record!, new SessionChanges());

        var taken = await store.TakeAsync(id, "msg", followRotation: true);
        Assert.Equal("hello", Text(taken));
        Assert.Null((await store.TakeAsync(rotated.SessionId, "msg")).Value);
        Assert.False((await store.LoadAsync(rotated.SessionId)).Record!.Values.ContainsKey("msg"));
    }

    [Fact]
    public async Task Take_OnADestroyedOrForgedSession_GetsNothing_AndCreatesNoKey()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("msg", "bye")));
        Assert.True(await store.DestroyAsync(id));

        var afterLogout = await store.TakeAsync(id, "msg");
        Assert.Equal(CommitStatus.Gone, afterLogout.Status);
        Assert.Null(afterLogout.Value);
        Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(id)));

        var forged = SessionIds.NewId();
        var guessed = await store.TakeAsync(forged, "msg");
        Assert.Equal(CommitStatus.Gone, guessed.Status);
        Assert.False(await Server.Db.KeyExistsAsync(store.KeyFor(forged)));
    }

    [Fact]
    public async Task Take_OfAKeyThatIsNotASession_IsRefusedAsCorrupt_AndChangesNothing()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        var key = store.KeyFor(id);
        await Server.Db.HashSetAsync(key, [new HashEntry("msg", "not ours")]);

        var taken = await store.TakeAsync(id, "msg");
        Assert.Equal(CommitStatus.Corrupt, taken.Status);
        Assert.Null(taken.Value);
        Assert.Equal("not ours", (string?)await Server.Db.HashGetAsync(key, "msg"));
    }

    [Fact]
    public async Task Take_Encrypted_ReturnsThePlaintext_AndAForgedCiphertextIsNeverHandedOut()
    {
        var store = Server.CreateStore(o => o.Encryption.AddKey(1, EncryptionOptions.NewKey(), active: true));
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("msg", "sealed")));
        Assert.Equal("sealed", Text(await store.TakeAsync(id, "msg")));

        // Someone with write access to Redis plants a value: it does not authenticate, so nobody gets it.
        await Server.Db.HashSetAsync(store.KeyFor(id), [new HashEntry("msg", new byte[] { 0x02, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 })]);
        var forged = await store.TakeAsync(id, "msg");
        Assert.Equal(CommitStatus.Committed, forged.Status);
        Assert.Null(forged.Value);

        // A plaintext integer (what a counter looks like) is no value with encryption on either.
        await Server.Db.HashSetAsync(store.KeyFor(id), [new HashEntry("code", "123456")]);
        Assert.Null((await store.TakeAsync(id, "code")).Value);
    }

    [Fact]
    public async Task Take_OfACounter_ReturnsItsDecimalText()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("x", "1")));
        await store.IncrementAsync(id, "n", 41);
        await store.IncrementAsync(id, "n", 1);
        Assert.Equal("42", Text(await store.TakeAsync(id, "n")));
        Assert.Null((await store.TakeAsync(id, "n")).Value);
    }

    [Fact]
    public async Task Take_CallerKeyStartingWithHash_CannotReachMetadata()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, Changes(("x", "1")));
        var taken = await store.TakeAsync(id, "#u");
        Assert.Null(taken.Value);
        Assert.Null((await store.TakeAsync(id, "#d")).Value);
        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(id)).Status);
    }
}

/// <summary>The take on redis-server.</summary>
public sealed class RedisTakeTests(RedisFixture server) : TakeBehaviour(server);

/// <summary>The take on Garnet.</summary>
public sealed class GarnetTakeTests(GarnetFixture server) : TakeBehaviour(server);
