using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Redis;

/// <summary>
/// Makes a revocation survive a failover: once it is done on the primary, waits (within
/// <see cref="TesseraOptions.ReplicaWait"/>) for a replica of each primary that holds a revoked key to
/// acknowledge it. <c>WAIT</c> blocks the connection it is sent on and counts only that connection's
/// writes, so it goes on a second connection (<see cref="TesseraConnection.GetWaitConnectionAsync"/>),
/// after a marker write of its own: the replication stream is one ordered stream, so a replica that has
/// the marker has every revocation the primary applied before it. Primaries without replicas
/// (<c>ROLE</c>, asked on the main connection and remembered for a few seconds) cost nothing more, and the
/// second connection is opened only once a replica exists. Never sent to a server without <c>WAIT</c>.
/// </summary>
internal sealed partial class ReplicaAcknowledger(RedisSessionStore store)
{
    private static readonly TimeSpan RoleLifetime = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MarkLifetime = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (int Replicas, long Until)> _roles = new(StringComparer.Ordinal);
    private string[]? _slotTags;

    /// <summary>Waits for a replica to have what was written to these keys (deleted, for a revocation).</summary>
    /// <param name="keys">The keys revoked.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>What is known.</returns>
    public async Task<ReplicaConfirmation> ConfirmAsync(IReadOnlyList<RedisKey> keys, CancellationToken cancellationToken)
    {
        var options = store.Options;
        var wait = TimeSpan.FromTicks(Math.Min(options.ReplicaWait.Ticks, options.OperationTimeout.Ticks / 2));
        if (wait <= TimeSpan.Zero)
        {
            return ReplicaConfirmation.Off;
        }

        if (keys.Count == 0)
        {
            return ReplicaConfirmation.NoReplicas;
        }

        try
        {
            return await ConfirmCoreAsync(keys, wait, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TesseraUnavailableException || RedisFailures.IsUnavailable(ex))
        {
            LogUnconfirmed(store.Logger, keys.Count, ex.Message);
            return ReplicaConfirmation.Unconfirmed;
        }
    }

    /// <summary>Each command it sends (<c>ROLE</c> when not remembered, the marker and <c>WAIT</c> when a replica exists) takes the one call path, with its own span.</summary>
    private async Task<ReplicaConfirmation> ConfirmCoreAsync(IReadOnlyList<RedisKey> keys, TimeSpan wait, CancellationToken cancellationToken)
    {
        var main = await store.Connection.GetMultiplexerAsync().ConfigureAwait(false);
        var capabilities = store.Connection.Capabilities.IsKnown ? store.Connection.Capabilities : await store.Connection.ProbeAsync().ConfigureAwait(false);
        if (!capabilities.Supports("wait"))
        {
            return capabilities.IsKnown ? ReplicaConfirmation.Unsupported : ReplicaConfirmation.Unconfirmed;
        }

        // One key per primary that holds a revoked key, and whether it has replicas at all.
        var perPrimary = new Dictionary<string, (RedisKey Key, IServer Server)>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (PrimaryOf(main, key) is not { } server)
            {
                // No connected primary for it (a failover under way): nothing can be confirmed now.
                LogUnconfirmed(store.Logger, keys.Count, "no primary is connected for a revoked key");
                return ReplicaConfirmation.Unconfirmed;
            }

            perPrimary.TryAdd(Format(server.EndPoint), (key, server));
        }

        var needed = new List<RedisKey>();
        foreach (var (endpoint, (key, server)) in perPrimary)
        {
            if (await ReplicasAsync(server, endpoint, cancellationToken).ConfigureAwait(false) > 0)
            {
                needed.Add(key);
            }
        }

        if (needed.Count == 0)
        {
            return ReplicaConfirmation.NoReplicas;
        }

        if (await store.Connection.GetWaitConnectionAsync().ConfigureAwait(false) is not { } waiting)
        {
            return ReplicaConfirmation.Unsupported;
        }

        var cluster = main.GetServers().Any(static s => s.ServerType == ServerType.Cluster);
        var acks = await store.Redis.RunAsync(
            "replica wait",
            static (_, s) => Task.WhenAll(s.needed.Select(key => s.self.WaitOnAsync(s.waiting, key, s.cluster, s.wait))),
            (self: this, needed, waiting, cluster, wait),
            cancellationToken,
            idempotent: true,
            "WAIT").ConfigureAwait(false);
        if (acks.Any(static a => a < 1))
        {
            LogUnconfirmed(store.Logger, keys.Count, $"no replica acknowledged within {wait.TotalMilliseconds:0} ms");
            return ReplicaConfirmation.Unconfirmed;
        }

        return ReplicaConfirmation.Confirmed;
    }

    /// <summary>The marker write and the <c>WAIT</c> after it, pipelined on the waiting connection to the key's primary.</summary>
    private async Task<long> WaitOnAsync(IConnectionMultiplexer waiting, RedisKey key, bool cluster, TimeSpan wait)
    {
        var marker = SessionLayout.ReplicaMarkKey(store.Options.KeyPrefix, cluster ? SlotTag(waiting, waiting.HashSlot(key)) : null);
        var db = waiting.GetDatabase();

        // SET ... PX (not SETEX, which the shipped ACL does not grant).
        object[] set = [marker, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "PX", (long)MarkLifetime.TotalMilliseconds];
        Task<RedisResult> mark, acked;
        if (cluster)
        {
            // WAIT names no key: send it to the node that owns the marker's slot, where the marker went.
            if (PrimaryOf(waiting, marker) is not { } server)
            {
                return 0;
            }

            mark = db.ExecuteAsync("SET", set);
            acked = server.ExecuteAsync("WAIT", 1, (long)wait.TotalMilliseconds);
        }
        else
        {
            // One primary: both go to it, in order, on this connection (queued until it is connected, if it is new).
            mark = db.ExecuteAsync("SET", set);
            acked = db.ExecuteAsync("WAIT", 1, (long)wait.TotalMilliseconds);
        }

        await mark.ConfigureAwait(false);
        return (long)await acked.ConfigureAwait(false);
    }

    private async Task<int> ReplicasAsync(IServer server, string endpoint, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        if (_roles.TryGetValue(endpoint, out var known) && known.Until > now)
        {
            return known.Replicas;
        }

        // A server that is not (or no longer) a primary has nothing to wait for here; the key's primary is asked next time.
        var role = await store.Redis.RunAsync("replica role", static (_, s) => s.RoleAsync(), server, cancellationToken, idempotent: true, "ROLE").ConfigureAwait(false);
        var replicas = role is Role.Master master ? master.Replicas.Count : 0;
        _roles[endpoint] = (replicas, now + (long)RoleLifetime.TotalMilliseconds);
        return replicas;
    }

    /// <summary>A hash tag in the given slot: the first of 0, 1, 2, ... whose slot it is (found once, for all 16,384).</summary>
    private string SlotTag(IConnectionMultiplexer multiplexer, int slot)
    {
        var tags = _slotTags;
        if (tags is null)
        {
            tags = new string[16384];
            var left = tags.Length;
            for (var n = 0; left > 0; n++)
            {
                var text = n.ToString(CultureInfo.InvariantCulture);
                var s = multiplexer.HashSlot(text);
                if (tags[s] is null)
                {
                    tags[s] = text;
                    left--;
                }
            }

            _slotTags = tags;
        }

        return tags[slot];
    }

    private static string Format(EndPoint? endpoint) => endpoint?.ToString() ?? string.Empty;

    /// <summary>The connected primary that owns a key, or null (StackExchange.Redis throws when none is connected, as during a failover).</summary>
    private static IServer? PrimaryOf(IConnectionMultiplexer multiplexer, RedisKey key)
    {
        try
        {
            return multiplexer.GetServer(key);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    [LoggerMessage(125, LogLevel.Warning, "A revocation of {Count} key(s) is done on the primary but not confirmed on a replica ({Reason}): a failover now could bring it back.")]
    private static partial void LogUnconfirmed(ILogger logger, int count, string reason);
}
