using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// Values with their own lifetime (<see cref="SessionChanges.Set(string, byte[], DateTimeOffset)"/>), run against
/// each server kind. None of the servers here has per-field expiry (HEXPIRE), so the deadline travels in the
/// value's header and every reader judges it by the app's clock: the store's <see cref="TimeProvider"/>, here a
/// <see cref="FakeTimeProvider"/> that the tests move (one test runs on the system clock).
/// </summary>
public abstract class ValueLifetimeBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>The prefix of the first store a test creates (xunit makes one instance per test).</summary>
    private string? SharedPrefix { get; set; }

    private (RedisSessionStore Store, FakeTimeProvider Clock) CreateStore(Action<TesseraOptions>? configure = null, FakeTimeProvider? sharedClock = null, [System.Runtime.CompilerServices.CallerMemberName] string caller = "")
    {
        var options = new TesseraOptions { KeyPrefix = Server.PrefixFor(caller) };
        configure?.Invoke(options);
        if (sharedClock is not null)
        {
            // A second store over the same sessions (another app server): the first store's prefix.
            options.KeyPrefix = SharedPrefix ?? options.KeyPrefix;
        }

        var wrapped = Options.Create(options);
        SharedPrefix ??= options.KeyPrefix;
        var clock = sharedClock ?? new FakeTimeProvider(DateTimeOffset.UtcNow);
        return (new RedisSessionStore(new TesseraConnection(Server.Multiplexer, wrapped), wrapped, ValueCodec.Create(options), timeProvider: clock), clock);
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string? Text(byte[]? value) => value is null ? null : Encoding.UTF8.GetString(value);

    private static SessionChanges WithCode(DateTimeOffset expiresAt, string code = "424242")
    {
        var changes = new SessionChanges();
        changes.Set("keep", Bytes("forever"));
        changes.Set("code", Bytes(code), expiresAt);
        return changes;
    }

    private Task PollUntilAsync(RedisKey key, Func<HashEntry[], bool> condition, string what) =>
        Task.Run(() => Poll.Until(() => condition(Server.Db.HashGetAll(key)), TimeSpan.FromSeconds(10), what));

    [Fact]
    public async Task AValueWithALifetime_IsReadBeforeItsDeadline_NeverAtIt_AndTheLoadRemovesIt_WithItsSize()
    {
        var (store, clock) = CreateStore();
        var id = SessionIds.NewId();
        var deadline = clock.GetUtcNow() + Minute;
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, WithCode(deadline))).Status);

        // The size of the same session without the code: what '#s' must come back to.
        var plain = SessionIds.NewId();
        var keepOnly = new SessionChanges();
        keepOnly.Set("keep", Bytes("forever"));
        await store.CreateAsync(plain, keepOnly);
        var sizeWithout = (long)await Server.Db.HashGetAsync(store.KeyFor(plain), "#s");
        var key = store.KeyFor(id);
        Assert.True((long)await Server.Db.HashGetAsync(key, "#s") > sizeWithout);

        clock.Advance(Minute - TimeSpan.FromMilliseconds(1));
        var before = (await store.LoadAsync(id)).Record!;
        Assert.Equal("424242", Text(before.Values["code"]));
        Assert.Equal(deadline.ToUnixTimeMilliseconds(), before.Expiries["code"].ToUnixTimeMilliseconds());
        Assert.False(before.Expiries.ContainsKey("keep"));

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var after = (await store.LoadAsync(id)).Record!;
        Assert.Equal(["keep"], after.Values.Keys);
        Assert.Equal(["code"], after.ExpiredStored.Keys);

        // The load removed it from Redis, without waiting (fire and forget), and the size follows.
        await PollUntilAsync(key, e => !e.Any(x => x.Name == "code"), "the expired value is removed");
        Assert.Equal(sizeWithout, (long)await Server.Db.HashGetAsync(key, "#s"));
        Assert.Equal("forever", Text((await store.LoadAsync(id)).Record!.Values["keep"]));
    }

    [Fact]
    public async Task ARemovalIsConditional_AValueWrittenAgainMeanwhileStays()
    {
        var (store, clock) = CreateStore();
        var id = SessionIds.NewId();
        var key = store.KeyFor(id);
        await store.CreateAsync(id, WithCode(clock.GetUtcNow() + Minute));
        clock.Advance(Minute);
        var stale = (await store.LoadAsync(id)).Record!;
        await PollUntilAsync(key, e => !e.Any(x => x.Name == "code"), "the expired value is removed");

        // Another request writes a fresh code; a removal sent late (the same bytes as read) leaves it alone.
        var fresh = new SessionChanges();
        fresh.Set("code", Bytes("fresh"), clock.GetUtcNow() + Minute);
        await store.CommitAsync(id, fresh);
        var removed = await Server.Db.ScriptEvaluateAsync(Tessera.Internal.LuaScripts.Rewrite, [key], Tessera.Wire.ScriptWire.PruneArgs(stale));
        Assert.Equal(0, (int)removed);
        Assert.Equal("fresh", Text((await store.LoadAsync(id)).Record!.Values["code"]));
        await AssertSizeIsExactAsync(key);
    }

    [Fact]
    public async Task Take_OfAnExpiredValue_GetsNothing_AndRemovesIt()
    {
        var (store, clock) = CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, WithCode(clock.GetUtcNow() + Minute));
        clock.Advance(Minute);

        var taken = await store.TakeAsync(id, "code");
        Assert.Equal(CommitStatus.Committed, taken.Status);
        Assert.Null(taken.Value);
        Assert.False(await Server.Db.HashExistsAsync(store.KeyFor(id), "code"));
    }

    [Fact]
    public async Task Take_OfALiveValueWithALifetime_TwentyRacers_ExactlyOneGetsIt_TwentyTimesOver()
    {
        var (store, clock) = CreateStore();
        for (var round = 0; round < 20; round++)
        {
            var id = SessionIds.NewId();
            await store.CreateAsync(id, WithCode(clock.GetUtcNow() + Minute, $"c{round}"));
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var takes = Enumerable.Range(0, 20).Select(async _ =>
            {
                await gate.Task;
                return await store.TakeAsync(id, "code");
            }).ToArray();
            gate.SetResult();
            var results = await Task.WhenAll(takes);
            Assert.Equal($"c{round}", Text(Assert.Single(results, r => r.Taken).Value));
        }
    }

    [Fact]
    public async Task Encrypted_ADeadlineEditedInRedis_IsNeverServedLonger()
    {
        // The attacker can write Redis but holds no key: they push a one-time code's deadline a year out.
        var (store, clock) = CreateStore(o => o.Encryption.AddKey(1, EncryptionOptions.NewKey(), active: true));
        var id = SessionIds.NewId();
        await store.CreateAsync(id, WithCode(clock.GetUtcNow() + Minute));
        var key = store.KeyFor(id);
        var stored = (byte[])(await Server.Db.HashGetAsync(key, "code"))!;
        Assert.Equal(ValueCodec.ExpiresFlag | 2, stored[0]);
        Assert.Equal(-1, stored.AsSpan().IndexOf("424242"u8));

        var extended = (byte[])stored.Clone();
        BinaryPrimitives.WriteInt64BigEndian(extended.AsSpan(1, 8), (clock.GetUtcNow() + TimeSpan.FromDays(365)).ToUnixTimeMilliseconds());
        await Server.Db.HashSetAsync(key, "code", extended);
        clock.Advance(Minute + Minute);

        // Refused as tampered: never served, not by a load, not by a take.
        var load = await store.LoadAsync(id);
        Assert.Equal(LoadStatus.Corrupt, load.Status);
        Assert.Null(load.Record);
        var taken = await store.TakeAsync(id, "code");
        Assert.Null(taken.Value);

        // Stripping the deadline (a value "without a lifetime") is refused the same way.
        var stripped = new byte[stored.Length - 8];
        stripped[0] = (byte)(stored[0] & ~ValueCodec.ExpiresFlag);
        stored.AsSpan(9).CopyTo(stripped.AsSpan(1));
        await Server.Db.HashSetAsync(key, "code", stripped);
        Assert.Equal(LoadStatus.Corrupt, (await store.LoadAsync(id)).Status);
        Assert.Null((await store.TakeAsync(id, "code")).Value);
    }

    [Fact]
    public async Task ValuesWrittenWithoutALifetime_ByEarlierVersions_StillRead()
    {
        // The format of a value without a lifetime did not change: write it as an earlier version did.
        var options = new TesseraOptions();
        options.Encryption.AddKey(1, EncryptionOptions.NewKey(), active: true);
        var (store, clock) = CreateStore(o => o.Encryption.AddKey(1, options.Encryption.Keys[0].Key, active: true));
        var id = SessionIds.NewId();
        await store.CreateAsync(id, WithCode(clock.GetUtcNow() + Minute));
        var handle = SessionIds.Handle(id);
        var old = new ProtectedValueCodec(new CompressionOptions(), options.Encryption);
        await Server.Db.HashSetAsync(store.KeyFor(id), [new HashEntry("legacy", old.Encode(handle, "legacy", "from 1.x"u8))]);

        clock.Advance(Minute + Minute);
        var record = (await store.LoadAsync(id)).Record!;
        Assert.Equal("from 1.x", Text(record.Values["legacy"]));
        Assert.Equal("forever", Text(record.Values["keep"]));
        Assert.False(record.Values.ContainsKey("code"));
        Assert.Empty(record.Expiries);
    }

    [Fact]
    public async Task Rotation_CarriesTheDeadline_AndTheValueExpiresInTheNewSession()
    {
        var (store, clock) = CreateStore();
        var id = SessionIds.NewId();
        var deadline = clock.GetUtcNow() + Minute;
        await store.CreateAsync(id, WithCode(deadline));

        // A pending value with a lifetime goes over too.
        var pending = new SessionChanges();
        pending.Set("flash", Bytes("saved"), deadline + Minute);
        var rotated = await store.RotateAsync((await store.LoadAsync(id)).Record!, pending);
        Assert.Equal(CommitStatus.Committed, rotated.Status);

        var fresh = (await store.LoadAsync(rotated.SessionId)).Record!;
        Assert.Equal(deadline.ToUnixTimeMilliseconds(), fresh.Expiries["code"].ToUnixTimeMilliseconds());
        Assert.Equal((deadline + Minute).ToUnixTimeMilliseconds(), fresh.Expiries["flash"].ToUnixTimeMilliseconds());
        Assert.Equal(deadline.ToUnixTimeMilliseconds(), ValueCodec.ExpiresAt((byte[])(await Server.Db.HashGetAsync(store.KeyFor(rotated.SessionId), "code"))!)!.Value.ToUnixTimeMilliseconds());

        clock.Advance(Minute);
        var later = (await store.LoadAsync(rotated.SessionId)).Record!;
        Assert.Equal(["flash", "keep"], later.Values.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task KeyRotationRewrite_KeepsTheDeadline()
    {
        var key1 = EncryptionOptions.NewKey();
        var key2 = EncryptionOptions.NewKey();
        var (store, clock) = CreateStore(o => o.Encryption.AddKey(1, key1, active: true));
        var id = SessionIds.NewId();
        var deadline = clock.GetUtcNow() + Minute;
        await store.CreateAsync(id, WithCode(deadline));

        var (rotatedStore, rotatedClock) = CreateStore(
            o =>
            {
                o.Encryption.AddKey(1, key1);
                o.Encryption.AddKey(2, key2, active: true);
            },
            clock);
        var record = (await rotatedStore.LoadAsync(id)).Record!;
        Assert.Contains("code", record.Stale);
        Assert.Equal(2, await rotatedStore.RewriteStaleAsync(record));

        var stored = (byte[])(await Server.Db.HashGetAsync(store.KeyFor(id), "code"))!;
        Assert.Equal(2, stored[9]);
        Assert.Equal(deadline.ToUnixTimeMilliseconds(), ValueCodec.ExpiresAt(stored)!.Value.ToUnixTimeMilliseconds());
        rotatedClock.Advance(Minute);
        Assert.False((await rotatedStore.LoadAsync(id)).Record!.Values.ContainsKey("code"));
    }

    [Fact]
    public async Task SetIfAbsent_AndCompareAndSet_TreatAnExpiredValueAsAbsent()
    {
        var (store, clock) = CreateStore(o => o.MaxSessionBytes = 4096);
        var id = SessionIds.NewId();
        await store.CreateAsync(id, WithCode(clock.GetUtcNow() + Minute));

        // Live: set-if-absent refuses; compare-and-set compares the value, whatever its lifetime.
        Assert.False((await store.SetIfAbsentAsync(id, "code", Bytes("other"))).Succeeded);
        Assert.False((await store.CompareAndSetAsync(id, "code", null, Bytes("other"))).Succeeded);
        Assert.True((await store.CompareAndSetAsync(id, "code", Bytes("424242"), Bytes("swapped"))).Succeeded);
        Assert.False((await store.LoadAsync(id)).Record!.Expiries.ContainsKey("code"));

        var changes = new SessionChanges();
        changes.Set("code", Bytes("424242"), clock.GetUtcNow() + Minute);
        changes.Set("otp", Bytes("1"), clock.GetUtcNow() + Minute);
        await store.CommitAsync(id, changes);
        clock.Advance(Minute);

        // Expired: absent to both, and replaced.
        Assert.True((await store.SetIfAbsentAsync(id, "code", Bytes("new"))).Succeeded);
        Assert.False((await store.CompareAndSetAsync(id, "otp", Bytes("1"), Bytes("2"))).Succeeded);
        Assert.True((await store.CompareAndSetAsync(id, "otp", null, Bytes("3"))).Succeeded);
        var record = (await store.LoadAsync(id)).Record!;
        Assert.Equal("new", Text(record.Values["code"]));
        Assert.Equal("3", Text(record.Values["otp"]));
        Assert.Empty(record.ExpiredStored);
        await AssertSizeIsExactAsync(store.KeyFor(id));
    }

    [Fact]
    public async Task Encrypted_CompareAndSet_TreatsAnExpiredValueAsAbsent()
    {
        var (store, clock) = CreateStore(o => o.Encryption.AddKey(1, EncryptionOptions.NewKey(), active: true));
        var id = SessionIds.NewId();
        await store.CreateAsync(id, WithCode(clock.GetUtcNow() + Minute));
        Assert.True((await store.CompareAndSetAsync(id, "code", Bytes("424242"), Bytes("424242"))).Succeeded);

        var changes = new SessionChanges();
        changes.Set("code", Bytes("1"), clock.GetUtcNow() + Minute);
        await store.CommitAsync(id, changes);
        clock.Advance(Minute);
        Assert.False((await store.CompareAndSetAsync(id, "code", Bytes("1"), Bytes("2"))).Succeeded);
        Assert.True((await store.CompareAndSetAsync(id, "code", null, Bytes("3"))).Succeeded);
        Assert.Equal("3", Text((await store.LoadAsync(id)).Record!.Values["code"]));
    }

    [Fact]
    public async Task Increment_OverAnExpiredValue_StartsFromZero_AndKeepsTheSizeExact()
    {
        var (store, clock) = CreateStore();
        var id = SessionIds.NewId();
        await store.CreateAsync(id, WithCode(clock.GetUtcNow() + Minute));
        await Assert.ThrowsAsync<SessionValueTypeException>(() => store.IncrementAsync(id, "code"));
        clock.Advance(Minute);
        Assert.Equal(5, (await store.IncrementAsync(id, "code", 5)).Value);
        await AssertSizeIsExactAsync(store.KeyFor(id));
    }

    [Fact]
    public async Task OnTheSystemClock_AShortLifetime_EndsOnceItsDeadlinePasses()
    {
        var store = Server.CreateStore();
        var id = SessionIds.NewId();
        var before = DateTimeOffset.UtcNow;
        var changes = new SessionChanges();
        changes.Set("code", Bytes("1"), DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300));
        await store.CreateAsync(id, changes);
        var stored = (byte[])(await Server.Db.HashGetAsync(store.KeyFor(id), "code"))!;
        Assert.InRange(ValueCodec.ExpiresAt(stored)!.Value, before + TimeSpan.FromMilliseconds(299), DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(301));

        // Bounded wait on the deadline itself, never a guessed sleep.
        await Task.Run(() => Poll.Until(() => !store.Load(id).Record!.Values.ContainsKey("code"), TimeSpan.FromSeconds(10), "the value expires"));
        Assert.True(DateTimeOffset.UtcNow >= ValueCodec.ExpiresAt(stored));
        Assert.Null((await store.TakeAsync(id, "code")).Value);
    }

    /// <summary>'#s' equals the sum over the caller fields of name + stored bytes + the per-field overhead.</summary>
    private async Task AssertSizeIsExactAsync(RedisKey key)
    {
        var all = await Server.Db.HashGetAllAsync(key);
        var expected = all.Where(e => !((string)e.Name!).StartsWith('#')).Sum(e => ((string)e.Name!).Length + ((byte[])e.Value!).Length + 40L);
        Assert.Equal(expected, (long)all.Single(e => e.Name == "#s").Value);
    }
}

/// <summary>Values with their own lifetime on redis-server (7.0: no per-field expiry).</summary>
public sealed class RedisValueLifetimeTests(RedisFixture server) : ValueLifetimeBehaviour(server);

/// <summary>Values with their own lifetime on Garnet.</summary>
public sealed class GarnetValueLifetimeTests(GarnetFixture server) : ValueLifetimeBehaviour(server);
