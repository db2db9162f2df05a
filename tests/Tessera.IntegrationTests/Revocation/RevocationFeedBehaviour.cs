using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Tessera.IntegrationTests;

/// <summary>
/// Revocation notices between two app instances (two stores, each with its own connection, one key
/// prefix): every logout, revocation and rotation made on one is heard on the other, its own is
/// delivered once and at once, and what someone else publishes on the channel is never taken for a notice.
/// </summary>
public abstract class RevocationFeedBehaviour(ServerFixture server) : IAsyncLifetime
{
    private static readonly TimeSpan Heard = TimeSpan.FromSeconds(3);
    private readonly AppInstances _instances = new(server);

    protected ServerFixture Server { get; } = server;

    /// <summary>Whether the server has pub/sub (else the feed must say it is off and send nothing).</summary>
    protected virtual bool HasPubSub => true;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _instances.DisposeAsync();

    [Fact]
    public async Task LogoutRevokeAndRotation_OnOneInstance_AreHeardOnTheOther_AndOnceHere()
    {
        var prefix = Server.PrefixFor();
        var one = Instance(prefix);
        var two = Instance(prefix);
        var here = Listen(one);
        var there = Listen(two);
        Assert.Equal(HasPubSub, await one.Revocations.StartAsync());
        Assert.Equal(HasPubSub, await two.Revocations.StartAsync());

        // A logout.
        var id = await NewSessionAsync(one, "ada");
        await one.DestroyAsync(id, "ada");
        var handle = SessionIds.Handle(id);
        await AssertHeardAsync(there, RevocationScope.Logout, handle);
        Assert.Single(here, n => n.Scope == RevocationScope.Logout && n.Handles.Contains(handle) && n.IsLocal);

        // A rotation: the old handle, and the one it became.
        var rotating = await NewSessionAsync(one, "bea");
        var rotated = await one.RotateAsync((await one.LoadAsync(rotating)).Record!, new SessionChanges());
        Assert.Equal(CommitStatus.Committed, rotated.Status);
        var notice = await AssertHeardAsync(there, RevocationScope.Rotated, SessionIds.Handle(rotating));
        if (notice is not null)
        {
            Assert.Equal(SessionIds.Handle(rotated.SessionId), notice.Successor);
        }

        Assert.Single(here, n => n.Scope == RevocationScope.Rotated && n.Successor == SessionIds.Handle(rotated.SessionId));

        // "Log out everywhere" of a user with three sessions, one of them rotated: the sessions its index names
        // (the rotated one by its new handle; its tombstone forwards to it, so whatever watched the old handle follows).
        var first = await NewSessionAsync(one, "cy");
        var second = await NewSessionAsync(one, "cy");
        var third = await NewSessionAsync(one, "cy");
        var thirdNow = await one.RotateAsync((await one.LoadAsync(third)).Record!, new SessionChanges());
        Assert.Equal(3, await one.Users.RevokeUserSessionsAsync("cy"));
        await AssertHeardAsync(there, RevocationScope.Revoked, SessionIds.Handle(first));
        var everywhere = Assert.Single(here, n => n.Scope == RevocationScope.Revoked);
        Assert.Equal(
            new[] { first, second, thirdNow.SessionId }.Select(SessionIds.Handle).Order(),
            everywhere.Handles.Order());
        if (HasPubSub)
        {
            Assert.Equal(everywhere.Handles.Order(), there.Single(n => n.Scope == RevocationScope.Revoked).Handles.Order());
        }

        // Each instance heard its own notices at once and only so (not again through Redis).
        Assert.All(here, n => Assert.True(n.IsLocal));
        Assert.Equal(4, here.Count(n => n.Scope != RevocationScope.Resync)); // a logout, two rotations, one "everywhere"
    }

    [Fact]
    public async Task WhatOthersPublishOnTheChannel_IsNeverANotice_AndTheFeedKeepsWorking()
    {
        if (!HasPubSub)
        {
            Assert.False(await Instance(Server.PrefixFor()).Revocations.StartAsync());
            return;
        }

        var prefix = Server.PrefixFor();
        var one = Instance(prefix);
        var two = Instance(prefix);
        var there = Listen(two);
        Assert.True(await two.Revocations.StartAsync());
        var channel = Channel(prefix + "revocations");
        var victim = SessionIds.Handle(SessionIds.NewId());
        string[] forged =
        [
            string.Empty,
            "garbage",
            $"t1|0123456789abcdef|0|{victim}|",                   // a resync is never sent
            $"t1|0123456789abcdef|9|{victim}|",                   // no such scope
            $"t1|0123456789ABCDEF|1||{victim}",                   // origin not lower-case hex
            $"t1|0123456789abcdef|1||{victim},not-a-handle",      // one bad handle spoils the message
            $"t1|0123456789abcdef|3||{victim}",                   // a rotation with no successor
            $"t1|0123456789abcdef|4||{victim}",                   // "everyone" naming handles
            $"t2|0123456789abcdef|1||{victim}",                   // another version
            "t1|0123456789abcdef|2||" + string.Join(',', Enumerable.Repeat(victim, RevocationMessage.MaxHandles + 1)),
            new string('x', 100_000),
            Encoding.Latin1.GetString([0xff, 0xfe, 0x00, 0x7c]),
        ];
        var sender = (await Server.Multiplexer.GetSubscriber().PublishAsync(channel, "ping")) >= 0;
        Assert.True(sender);
        foreach (var message in forged)
        {
            await Server.Multiplexer.GetSubscriber().PublishAsync(channel, message);
        }

        // A well-formed message is heard (a hint to re-check, never proof), then a real one still is.
        await Server.Multiplexer.GetSubscriber().PublishAsync(channel, $"t1|0123456789abcdef|2||{victim}");
        await AssertHeardAsync(there, RevocationScope.Revoked, victim);
        var id = await NewSessionAsync(one, "dee");
        await one.DestroyAsync(id, "dee");
        await AssertHeardAsync(there, RevocationScope.Logout, SessionIds.Handle(id));
        Assert.Equal(2, there.Count(n => n.Scope != RevocationScope.Resync));
    }

    /// <summary>The channel as the feed uses it on this server.</summary>
    protected virtual RedisChannel Channel(string name) => RedisChannel.Literal(name);

    protected RedisSessionStore Instance(string prefix) => _instances.Create(prefix);

    protected static ConcurrentQueue<RevocationNotice> Listen(RedisSessionStore store)
    {
        var heard = new ConcurrentQueue<RevocationNotice>();
        store.Revocations.Subscribe(heard.Enqueue);
        return heard;
    }

    protected static async Task<string> NewSessionAsync(RedisSessionStore store, string user)
    {
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("k", [1]);
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes, new SessionWrite { UserId = user })).Status);
        return id;
    }

    private async Task<RevocationNotice?> AssertHeardAsync(ConcurrentQueue<RevocationNotice> heard, RevocationScope scope, string handle)
    {
        if (!HasPubSub)
        {
            // Nothing crosses instances on a server without pub/sub: the periodic re-check is all there is.
            await Task.Delay(200);
            Assert.DoesNotContain(heard, n => n.Handles.Contains(handle));
            return null;
        }

        RevocationNotice? found = null;
        Assert.True(
            await Eventually.WaitAsync(() => Task.FromResult((found = heard.FirstOrDefault(n => n.Scope == scope && n.Handles.Contains(handle))) is not null), Heard),
            $"no {scope} notice for the handle within {Heard.TotalSeconds} s");
        Assert.False(found!.IsLocal);
        return found;
    }
}

public sealed class RedisRevocationFeedTests(RedisFixture server) : RevocationFeedBehaviour(server);

public sealed class GarnetRevocationFeedTests(GarnetFixture server) : RevocationFeedBehaviour(server);

public sealed class ValkeyRevocationFeedTests(ValkeyFixture server) : RevocationFeedBehaviour(server);

public sealed class ClusterRevocationFeedTests(ClusterFixture server) : RevocationFeedBehaviour(server)
{
    /// <inheritdoc/>
    protected override RedisChannel Channel(string name) => RedisChannel.Sharded(name);
}

/// <summary>A subscription that drops may have lost notices: the listeners are told to re-check everything, and notices flow again.</summary>
public sealed class RevocationFeedResyncTests(RedisFixture server) : IAsyncLifetime
{
    private readonly AppInstances _instances = new(server);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _instances.DisposeAsync();

    [Fact]
    public async Task SubscriptionKilled_ListenersGetAResync_ThenHearNoticesAgain()
    {
        var prefix = server.PrefixFor();
        var name = "feed-" + Guid.NewGuid().ToString("N")[..8];
        var one = Instance(prefix, "tessera");
        var two = Instance(prefix, name);
        var there = new ConcurrentQueue<RevocationNotice>();
        two.Revocations.Subscribe(there.Enqueue);
        Assert.True(await two.Revocations.StartAsync());

        // Only this instance's subscription connection (other tests share the server).
        var clients = ((string)(await server.Db.ExecuteAsync("CLIENT", "LIST"))!).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var subscriber = Assert.Single(clients, c => c.Contains($" name={name} ", StringComparison.Ordinal) && !c.Contains(" sub=0 ", StringComparison.Ordinal));
        var clientId = subscriber.Split(' ').First(p => p.StartsWith("id=", StringComparison.Ordinal))[3..];
        Assert.Equal(1, (long)await server.Db.ExecuteAsync("CLIENT", "KILL", "ID", clientId));

        Assert.True(await Eventually.WaitAsync(() => Task.FromResult(there.Any(n => n.Scope == RevocationScope.Resync)), TimeSpan.FromSeconds(5)), "no resync after the subscription dropped");
        Assert.True(await Eventually.WaitAsync(() => Task.FromResult(two.Revocations.IsListening), TimeSpan.FromSeconds(5)));

        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("k", [1]);
        await one.CreateAsync(id, changes);
        await one.DestroyAsync(id);
        Assert.True(
            await Eventually.WaitAsync(() => Task.FromResult(there.Any(n => n.Scope == RevocationScope.Logout && n.Handles.Contains(SessionIds.Handle(id)))), TimeSpan.FromSeconds(5)),
            "no notice after the subscription came back");
    }

    private RedisSessionStore Instance(string prefix, string clientName) => _instances.Create(prefix, clientName);
}
