using System.Diagnostics;
using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace Tessera.Admin;

/// <summary>
/// Audits the Redis behind the sessions: persistence and its errors, memory limit and eviction policy,
/// authentication and network exposure, dangerous commands open to the app's user, <c>hz</c>,
/// replication, Sentinel and Cluster health, round-trip latency and version. Each finding has a
/// severity and a one-line fix. A refused <c>CONFIG GET</c> (ACL, managed services, Garnet) is itself a
/// finding; the checks that need it fall back to <c>INFO</c> or are skipped, never crash.
/// The multiplexer must be configured with <c>allowAdmin=true</c> (StackExchange.Redis refuses INFO and CONFIG otherwise).
/// </summary>
public sealed partial class RedisDoctor
{
    private static readonly string[] Dangerous = ["FLUSHALL", "FLUSHDB", "KEYS", "CONFIG", "DEBUG"];
    private static readonly Version Minimum = new(6, 2);

    private readonly SessionKeyspace _keyspace;

    /// <summary>Creates the doctor.</summary>
    /// <param name="keyspace">The sessions' keyspace (its connection and masters).</param>
    public RedisDoctor(SessionKeyspace keyspace)
    {
        ArgumentNullException.ThrowIfNull(keyspace);
        _keyspace = keyspace;
    }

    /// <summary>Runs every check on every master.</summary>
    /// <param name="options">How to check.</param>
    /// <param name="cancellationToken">Cancels between checks.</param>
    /// <returns>The findings.</returns>
    public async Task<DoctorReport> RunAsync(DoctorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DoctorOptions();
        var findings = new List<DoctorFinding>();
        foreach (var server in _keyspace.Masters())
        {
            cancellationToken.ThrowIfCancellationRequested();
            await CheckServerAsync(server, options, findings, cancellationToken).ConfigureAwait(false);
        }

        if (options.Configuration is { } configuration
            && ConfigurationOptions.Parse(configuration, ignoreUnknown: true) is { ServiceName: { Length: > 0 } } sentinelConfig)
        {
            await CheckSentinelsAsync(sentinelConfig, findings, cancellationToken).ConfigureAwait(false);
        }

        return new DoctorReport(findings);
    }

    private async Task CheckServerAsync(IServer server, DoctorOptions options, List<DoctorFinding> findings, CancellationToken ct)
    {
        var name = server.EndPoint.ToString() ?? "?";
        void Add(string check, FindingSeverity severity, string message, string? fix = null) =>
            findings.Add(new DoctorFinding(check, severity, message, fix, name));

        var info = new RedisInfo(await server.InfoRawAsync("all").WaitAsync(ct).ConfigureAwait(false));
        var config = new ConfigReader(server);

        // Version.
        var versionText = info["redis_version"];
        if (info["garnet_version"] is { } garnet)
        {
            Add("version", FindingSeverity.Info, $"Garnet {garnet} (speaks Redis {versionText ?? "?"}); some checks below need Redis-only commands.");
        }
        else if (info["valkey_version"] is { } valkey)
        {
            // Valkey keeps redis_version at the Redis release it forked from (7.2.4), whatever its own version.
            Add("version", FindingSeverity.Ok, $"Valkey {valkey} (speaks Redis {versionText ?? "?"}).");
        }
        else if (Version.TryParse(versionText, out var version))
        {
            if (version < Minimum)
            {
                Add("version", FindingSeverity.Warning, $"Redis {versionText} is older than 6.2 (no ACL DRYRUN, GETDEL, fewer fixes).", "Upgrade to Redis 7.x.");
            }
            else
            {
                Add("version", FindingSeverity.Ok, $"Redis {versionText}.");
            }
        }
        else
        {
            Add("version", FindingSeverity.Info, "The server does not report redis_version in INFO.");
        }

        // Capabilities: what Tessera's optional features need, asked with COMMAND INFO (never by sending them).
        await CheckCapabilitiesAsync(server, Add, ct).ConfigureAwait(false);

        // Latency.
        await CheckLatencyAsync(server, options, Add, ct).ConfigureAwait(false);

        // Reading the configuration.
        var appendonly = await config.GetAsync("appendonly", ct).ConfigureAwait(false);
        if (config.Refused is { } refusal)
        {
            Add("config", FindingSeverity.Warning,
                $"Cannot read config ({refusal}); persistence, bind and protected-mode checks fall back to INFO or are skipped.",
                "Run doctor as a user allowed +config|get (ACL SETUSER <admin> +config|get).");
        }

        // Persistence.
        var aof = appendonly is not null ? appendonly == "yes" : info.GetInt64("aof_enabled") is { } enabled ? enabled == 1 : (bool?)null;
        var save = await config.GetAsync("save", ct).ConfigureAwait(false);
        var fsync = await config.GetAsync("appendfsync", ct).ConfigureAwait(false);
        if (aof == true)
        {
            switch (fsync)
            {
                case "everysec":
                    Add("persistence", FindingSeverity.Ok, "AOF on, appendfsync everysec: a crash loses at most about a second of session writes.");
                    break;
                case "always":
                    Add("persistence", FindingSeverity.Info, "AOF on, appendfsync always: every write waits for the disk (safest, slowest).", "CONFIG SET appendfsync everysec, if the write latency matters more than the last second.");
                    break;
                case "no":
                    Add("persistence", FindingSeverity.Warning, "AOF on, but appendfsync no: the OS flushes when it likes, so a crash can lose about 30 s of session writes.", "CONFIG SET appendfsync everysec; CONFIG REWRITE");
                    break;
                default:
                    Add("persistence", FindingSeverity.Ok, "AOF on (appendfsync not readable).");
                    break;
            }
        }
        else if (aof == false && !string.IsNullOrWhiteSpace(save))
        {
            Add("persistence", FindingSeverity.Warning, $"RDB snapshots only (save {save}): a crash logs out everyone who signed in since the last snapshot.", "CONFIG SET appendonly yes; CONFIG SET appendfsync everysec; CONFIG REWRITE");
        }
        else if (aof == false && save is not null)
        {
            Add("persistence", FindingSeverity.Warning, "No persistence (appendonly no, no save points): a restart logs every user out.", "CONFIG SET appendonly yes; CONFIG SET appendfsync everysec; CONFIG REWRITE");
        }
        else if (aof == false)
        {
            Add("persistence", FindingSeverity.Warning, "AOF is off (RDB save points not readable): a restart may log users out.", "CONFIG SET appendonly yes; CONFIG SET appendfsync everysec; CONFIG REWRITE");
        }
        else
        {
            Add("persistence", FindingSeverity.Info, "Persistence settings not readable.");
        }

        // Persistence errors.
        var persistenceErrors = 0;
        if (info["rdb_last_bgsave_status"] is { } bgsave && bgsave != "ok")
        {
            persistenceErrors++;
            Add("persistence-errors", FindingSeverity.Error, $"The last RDB save failed (rdb_last_bgsave_status:{bgsave}); Redis may refuse writes (stop-writes-on-bgsave-error).", "Check the Redis log and the disk (space, permissions of dir), then BGSAVE.");
        }

        if (info["aof_last_write_status"] is { } aofWrite && aofWrite != "ok")
        {
            persistenceErrors++;
            Add("persistence-errors", FindingSeverity.Error, $"The last AOF write failed (aof_last_write_status:{aofWrite}).", "Check the Redis log and the disk (space, permissions), then BGREWRITEAOF.");
        }

        if (info["aof_last_bgrewrite_status"] is { } rewrite && rewrite != "ok")
        {
            persistenceErrors++;
            Add("persistence-errors", FindingSeverity.Warning, $"The last AOF rewrite failed (aof_last_bgrewrite_status:{rewrite}).", "Check the Redis log and the disk, then BGREWRITEAOF.");
        }

        if (persistenceErrors == 0)
        {
            Add("persistence-errors", FindingSeverity.Ok, "No persistence errors reported.");
        }

        // Memory limit and eviction.
        var maxmemory = info.GetInt64("maxmemory") ?? ParseLong(await config.GetAsync("maxmemory", ct).ConfigureAwait(false));
        var used = info.GetInt64("used_memory") ?? 0;
        if (maxmemory is 0)
        {
            Add("maxmemory", FindingSeverity.Warning, $"No maxmemory: Redis grows until the OS kills it (using {info["used_memory_human"] ?? used.ToString(CultureInfo.InvariantCulture)} now).", "CONFIG SET maxmemory <about 75% of the RAM left to Redis>; CONFIG REWRITE");
        }
        else if (maxmemory is { } max)
        {
            var share = (double)used / max;
            Add("maxmemory", share >= 0.9 ? FindingSeverity.Warning : FindingSeverity.Ok,
                $"maxmemory {max.ToString(CultureInfo.InvariantCulture)} bytes, {share:P0} used.",
                share >= 0.9 ? "Raise maxmemory or shorten session lifetimes before Redis starts evicting or refusing writes." : null);
        }

        var policy = info["maxmemory_policy"] ?? await config.GetAsync("maxmemory-policy", ct).ConfigureAwait(false);
        if (policy is null)
        {
            Add("maxmemory-policy", FindingSeverity.Info, "maxmemory-policy not readable.");
        }
        else if (policy.StartsWith("allkeys-", StringComparison.Ordinal))
        {
            Add("maxmemory-policy", FindingSeverity.Error, $"maxmemory-policy {policy} evicts live sessions when memory runs short: users are logged out at random, user indexes vanish.", "CONFIG SET maxmemory-policy volatile-lru; CONFIG REWRITE (or give sessions their own Redis with noeviction and enough memory)");
        }
        else if (policy == "noeviction")
        {
            Add("maxmemory-policy", FindingSeverity.Warning, "maxmemory-policy noeviction: when memory is full every session write fails (logins get 503) until keys expire.", "Size maxmemory with headroom and watch it, or CONFIG SET maxmemory-policy volatile-lru.");
        }
        else
        {
            Add("maxmemory-policy", FindingSeverity.Ok, $"maxmemory-policy {policy}: only keys with a TTL are evicted.");
        }

        if (info.GetInt64("evicted_keys") is > 0 and var evicted)
        {
            Add("evictions", FindingSeverity.Warning, $"{evicted} keys were evicted since the server started: sessions were lost to memory pressure.", "Raise maxmemory, or find bloated sessions with 'tessera stats' and 'tessera list --larger-than 4KB'.");
        }

        // Authentication and exposure.
        await CheckAccessAsync(server, config, options, _keyspace.Prefix, Add, ct).ConfigureAwait(false);

        // hz.
        var hz = info.GetInt64("hz") ?? ParseLong(await config.GetAsync("hz", ct).ConfigureAwait(false));
        if (hz is { } h)
        {
            if (h < 10)
            {
                Add("hz", FindingSeverity.Warning, $"hz {h}: expired sessions are reclaimed slowly and memory lingers.", "CONFIG SET hz 10");
            }
            else if (h > 100)
            {
                Add("hz", FindingSeverity.Info, $"hz {h}: background tasks cost more CPU than usual.", "CONFIG SET hz 10 (dynamic-hz adapts it under load)");
            }
            else
            {
                Add("hz", FindingSeverity.Ok, $"hz {h}.");
            }
        }

        // Replication.
        CheckReplication(info, Add);

        // Cluster.
        if (info.GetInt64("cluster_enabled") == 1)
        {
            try
            {
                var clusterInfo = new RedisInfo((string?)await server.ExecuteAsync("CLUSTER", "INFO").WaitAsync(ct).ConfigureAwait(false));
                var state = clusterInfo["cluster_state"];
                Add("cluster", state == "ok" ? FindingSeverity.Ok : FindingSeverity.Error,
                    $"cluster_state:{state}, {clusterInfo["cluster_slots_ok"]} slots ok, {clusterInfo["cluster_known_nodes"]} nodes.",
                    state == "ok" ? null : "Check CLUSTER NODES: every slot needs a reachable master.");
            }
            catch (Exception ex) when (ex is RedisServerException or RedisCommandException)
            {
                Add("cluster", FindingSeverity.Warning, $"Cannot read CLUSTER INFO ({OneLine(ex)}).");
            }
        }
    }

    private static async Task CheckCapabilitiesAsync(IServer server, Action<string, FindingSeverity, string, string?> add, CancellationToken ct)
    {
        HashSet<string> present;
        try
        {
            present = await Tessera.Redis.CapabilityProbe.ProbeServerAsync(server, TimeSpan.FromSeconds(5)).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (RedisServerException ex)
        {
            add("capabilities", FindingSeverity.Warning, $"Cannot ask which commands the server has ({OneLine(ex)}); Tessera's optional features (the event stream) stay off.", "Allow +command|info to the app's and the admin's users (deploy/redis-sessions.conf).");
            return;
        }

        var missing = ServerCapabilities.ProbedCommands.Where(c => !present.Contains(c)).Select(c => c.ToUpperInvariant()).ToList();
        if (!present.Contains("xadd"))
        {
            add("capabilities", FindingSeverity.Info, $"No streams (lacks {string.Join(", ", missing)}): the analytics event stream, the dashboard's live events and tessera watch --events are off; the day counters work.", null);
        }
        else
        {
            add("capabilities", FindingSeverity.Ok, missing.Count == 0 ? "Every command Tessera's optional features use." : $"Streams present; lacks {string.Join(", ", missing)} (features that need them stay off).", null);
        }
    }
}
