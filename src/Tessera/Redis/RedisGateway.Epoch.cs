using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Redis;

/// <summary>
/// The calls that read the "everyone at once" epoch with a session: the load, a script beside it, the counter bump,
/// and where the epoch can be read (inside the script on a standalone server, beside it on a Cluster).
/// </summary>
internal sealed partial class RedisGateway
{
    /// <summary>
    /// A session load: the session's hash and the "everyone at once" epoch, in one round trip. On a server that
    /// is not a Cluster (<see cref="EpochInScript"/>) one script reads both, with the loads of other requests that
    /// meet it (<see cref="ReadBatcher"/>); on a Cluster (the two keys are in different slots) <c>HGETALL</c> and
    /// <c>GET</c> are sent together. Always safe to send again.
    /// </summary>
    public Task<(HashEntry[] Reply, long? Epoch)> ReadSessionAsync(RedisKey key, string operation, CancellationToken cancellationToken) =>
        RunAsync(
            operation,
            static (db, s) =>
            {
                if (!s.gateway.EpochInScript(db.Multiplexer))
                {
                    return BesideEpochAsync(db.HashGetAllAsync(s.key), db, s.gateway.EpochKey);
                }

                TesseraTelemetry.NameCommand("EVALSHA");
                return s.gateway._reads.CallAsync(db, s.key, RedisValue.Null, RedisValue.Null, s.cancellationToken);
            },
            (key, cancellationToken, gateway: this),
            cancellationToken,
            idempotent: true,
            "HGETALL");

    /// <summary>Runs a script on a session with the "everyone at once" epoch read beside it (one round trip).</summary>
    public Task<(RedisResult Reply, long? Epoch)> EvalBesideEpochAsync(string script, RedisKey key, RedisValue[] args, string operation, CancellationToken cancellationToken, bool idempotent = false) =>
        RunAsync(
            operation,
            static (db, s) => BesideEpochAsync(db.ScriptEvaluateAsync(s.script, [s.key], s.args), db, s.epoch),
            (script, key, args, epoch: EpochKey),
            cancellationToken,
            idempotent,
            "EVALSHA");

    /// <summary>
    /// A counter bump (<see cref="LuaScripts.Increment"/>): on a server that is not a Cluster
    /// (<see cref="EpochInScript"/>) the script reads the "everyone at once" epoch itself, refusing a session the
    /// epoch ended before it writes anything, and bumps that arrive while one call is on its way go together in the
    /// next (<see cref="CounterBatcher"/>); the reply's epoch is null. On a Cluster (the epoch lives in another slot)
    /// each bump is its own call, with the epoch read beside it. One round trip either way. Never sent again.
    /// </summary>
    /// <param name="key">The session's key.</param>
    /// <param name="field">The counter's field.</param>
    /// <param name="delta">The delta.</param>
    /// <param name="operation">The operation's name.</param>
    /// <param name="cancellationToken">Cancels the wait (and the bump, while it has not been sent).</param>
    /// <returns>The bump's reply, and the epoch when it was read beside.</returns>
    public Task<(RedisResult Reply, long? Epoch)> BumpAsync(RedisKey key, RedisValue field, RedisValue delta, string operation, CancellationToken cancellationToken) =>
        RunAsync(
            operation,
            static async (db, s) => s.gateway.EpochInScript(db.Multiplexer)
                ? (await s.gateway._bumps.CallAsync(db, s.key, s.field, s.delta, s.cancellationToken).ConfigureAwait(false), (long?)null)
                : await BesideEpochAsync(s.gateway.BumpAloneAsync(db, s.key, s.field, s.delta), db, s.gateway.EpochKey).ConfigureAwait(false),
            (key, field, delta, cancellationToken, gateway: this),
            cancellationToken,
            idempotent: false,
            "EVALSHA");

    /// <summary>One bump as a call of its own, without the epoch (a Cluster): the reply of its one bump.</summary>
    private async Task<RedisResult> BumpAloneAsync(IDatabase db, RedisKey key, RedisValue field, RedisValue delta)
    {
        var args = CounterBatcher.ArgsFor(_counterLimits, 1, Time.GetUtcNow().ToUnixTimeMilliseconds());
        args[4] = field;
        args[5] = delta;
        return CounterBatcher.Single(await db.ScriptEvaluateAsync(LuaScripts.Increment, [key], args).ConfigureAwait(false));
    }

    /// <summary>
    /// Whether a script may read the "everyone at once" epoch beside a session key: every server the multiplexer
    /// knows is a standalone server (a primary alone, or with replicas and Sentinel), where any two keys are on
    /// one node. Not on a Cluster (the two keys are in different slots) nor behind a proxy (twemproxy, Envoy),
    /// which route by key. Learned once per multiplexer once every server has answered its handshake (before
    /// that, asked again on every call, and false while any server type is not known).
    /// </summary>
    /// <param name="multiplexer">The connection.</param>
    /// <returns><see langword="true"/> on a standalone server.</returns>
    internal bool EpochInScript(IConnectionMultiplexer multiplexer)
    {
        if (_placement is { } known && ReferenceEquals(known.Multiplexer, multiplexer))
        {
            return known.InScript;
        }

        var servers = multiplexer.GetServers();
        var inScript = servers.Length > 0;
        var settled = inScript;
        foreach (var server in servers)
        {
            settled &= server.IsConnected;
            inScript &= server.ServerType == ServerType.Standalone;
        }

        if (settled || !inScript)
        {
            _placement = new EpochPlacement(multiplexer, inScript);
        }

        return inScript && settled;
    }

    /// <summary>What <see cref="EpochInScript"/> learned, for one multiplexer.</summary>
    private sealed record EpochPlacement(IConnectionMultiplexer Multiplexer, bool InScript);

    /// <summary>Runs direct commands (a pipelined batch of reads) with the "everyone at once" epoch read beside them.</summary>
    public Task<(T Reply, long? Epoch)> RunBesideEpochAsync<T>(string operation, Func<IDatabase, Task<T>> call, CancellationToken cancellationToken, bool idempotent = false, string command = "command") =>
        RunAsync(operation, static (db, s) => BesideEpochAsync(s.call(db), db, s.epoch), (call, epoch: EpochKey), cancellationToken, idempotent, command);

    /// <summary>
    /// The clock (<c>TIME</c>, unix ms) of every connected primary, asked together: on Cluster a session's
    /// creation time is its own node's clock, so "everyone at once" compares against all of them.
    /// Empty when no primary is connected.
    /// </summary>
    public Task<long[]> PrimaryClocksAsync(string operation, CancellationToken cancellationToken) =>
        RunAsync(
            operation,
            static async db =>
            {
                var times = await Task.WhenAll(db.Multiplexer.GetServers().Where(static s => s.IsConnected && !s.IsReplica).Select(static s => s.TimeAsync())).ConfigureAwait(false);
                return times.Select(static t => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeMilliseconds()).ToArray();
            },
            cancellationToken,
            idempotent: true,
            "TIME");

    /// <summary>
    /// The epoch's <c>GET</c> is sent right after the call, before either reply is awaited: the two travel
    /// in the same batch. The call's failure wins (it is the one the caller can act on).
    /// </summary>
    private static async Task<(T Reply, long? Epoch)> BesideEpochAsync<T>(Task<T> call, IDatabase db, RedisKey epochKey)
    {
        var epoch = db.StringGetAsync(epochKey);
        try
        {
            await Task.WhenAll(call, epoch).ConfigureAwait(false);
        }
        catch when (call.IsFaulted || call.IsCanceled)
        {
            _ = epoch.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return (await call.ConfigureAwait(false), null);
        }

        return (call.Result, EveryoneRevocation.EpochOf(epoch.Result));
    }
}
