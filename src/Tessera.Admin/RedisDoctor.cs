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
public sealed class RedisDoctor
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

    private static async Task CheckLatencyAsync(IServer server, DoctorOptions options, Action<string, FindingSeverity, string, string?> add, CancellationToken ct)
    {
        var samples = new List<double>(options.Pings);
        for (var n = 0; n < Math.Max(1, options.Pings); n++)
        {
            var start = Stopwatch.GetTimestamp();
            await server.PingAsync().WaitAsync(ct).ConfigureAwait(false);
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        samples.Sort();
        var median = samples[samples.Count / 2];
        var message = string.Create(CultureInfo.InvariantCulture, $"PING round trip: median {median:0.00} ms, max {samples[^1]:0.00} ms over {samples.Count}.");
        if (median > options.LatencyWarning.TotalMilliseconds)
        {
            add("latency", FindingSeverity.Warning, message + " Every session read pays at least this.", "Put Redis closer to the app servers (same zone), and check for slow commands (SLOWLOG GET) or swapping.");
        }
        else
        {
            add("latency", FindingSeverity.Ok, message, null);
        }
    }

    private static async Task CheckAccessAsync(IServer server, ConfigReader config, DoctorOptions options, string prefix, Action<string, FindingSeverity, string, string?> add, CancellationToken ct)
    {
        var bind = await config.GetAsync("bind", ct).ConfigureAwait(false);
        var loopbackOnly = bind is null ? IsLoopback(server.EndPoint) ? (bool?)null : false : IsLoopbackOnly(bind);
        var where = bind is null ? "bind not readable" : $"bind '{bind}'";

        // Is the default user open (enabled, no password)?
        bool? openDefault = null;
        try
        {
            var user = await server.ExecuteAsync("ACL", "GETUSER", "default").WaitAsync(ct).ConfigureAwait(false);
            var flags = FieldOf(user, "flags");
            openDefault = flags.Contains("on") && flags.Contains("nopass");
        }
        catch (Exception ex) when (ex is RedisServerException or RedisCommandException)
        {
            var requirepass = await config.GetAsync("requirepass", ct).ConfigureAwait(false);
            openDefault = requirepass is null ? null : requirepass.Length == 0;
        }

        switch (openDefault)
        {
            case true when loopbackOnly == true:
                add("auth", FindingSeverity.Warning, $"The default user needs no password; only this host can connect ({where}).", "Set a password before binding beyond loopback: ACL SETUSER default on >PASSWORD (or requirepass), then add password= to the connection string.");
                break;
            case true when loopbackOnly is null:
                add("auth", FindingSeverity.Warning, $"The default user needs no password, and whether Redis listens beyond loopback is unknown ({where}).", "ACL SETUSER default on >PASSWORD (or requirepass PASSWORD); CONFIG REWRITE");
                break;
            case true:
                add("auth", FindingSeverity.Error, $"The default user needs no password and Redis listens beyond loopback ({where}): anyone who reaches the port can read and steal every session.", "ACL SETUSER default on >PASSWORD (or requirepass PASSWORD), or bind 127.0.0.1; CONFIG REWRITE");
                break;
            case false:
                add("auth", FindingSeverity.Ok, "The default user is disabled or needs a password.", null);
                break;
            default:
                add("auth", FindingSeverity.Warning, "Cannot tell whether a password is required (ACL GETUSER and CONFIG GET requirepass refused).", "Run doctor as an admin user to check authentication.");
                break;
        }

        var protectedMode = await config.GetAsync("protected-mode", ct).ConfigureAwait(false);
        if (protectedMode == "no" && openDefault == true)
        {
            add("protected-mode", loopbackOnly == true ? FindingSeverity.Warning : FindingSeverity.Error,
                $"protected-mode no with a password-less default user ({where}).",
                "CONFIG SET protected-mode yes, and set a password.");
        }
        else if (protectedMode is not null)
        {
            add("protected-mode", FindingSeverity.Ok, $"protected-mode {protectedMode}, {where}.", null);
        }

        await CheckDangerousAsync(server, config, options, prefix, add, ct).ConfigureAwait(false);
    }

    private static async Task CheckDangerousAsync(IServer server, ConfigReader config, DoctorOptions options, string prefix, Action<string, FindingSeverity, string, string?> add, CancellationToken ct)
    {
        string? user = options.AppUser;
        try
        {
            user ??= (string?)await server.ExecuteAsync("ACL", "WHOAMI").WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisServerException or RedisCommandException)
        {
            add("dangerous-commands", FindingSeverity.Info, $"Cannot check command rights: ACL WHOAMI refused ({OneLine(ex)}).", null);
            return;
        }

        var debugEnabled = await config.GetAsync("enable-debug-command", ct).ConfigureAwait(false);
        var allowed = new List<string>();
        foreach (var command in Dangerous)
        {
            if (command == "DEBUG" && debugEnabled == "no")
            {
                continue;
            }

            object[] args = command switch
            {
                "KEYS" => ["DRYRUN", user!, "KEYS", "*"],
                "CONFIG" => ["DRYRUN", user!, "CONFIG", "SET", "maxmemory", "0"],
                "DEBUG" => ["DRYRUN", user!, "DEBUG", "SLEEP", "0"],
                _ => ["DRYRUN", user!, command],
            };
            try
            {
                var reply = await server.ExecuteAsync("ACL", args).WaitAsync(ct).ConfigureAwait(false);
                if (string.Equals((string?)reply, "OK", StringComparison.Ordinal))
                {
                    allowed.Add(command);
                }
            }
            catch (Exception ex) when (ex is RedisServerException or RedisCommandException)
            {
                add("dangerous-commands", FindingSeverity.Info, $"Cannot check command rights of '{user}': ACL DRYRUN refused ({OneLine(ex)}; needs Redis 7).", null);
                return;
            }
        }

        if (allowed.Count > 0)
        {
            add("dangerous-commands", FindingSeverity.Warning,
                $"User '{user}' may run {string.Join(", ", allowed)}: one leaked credential or bug can wipe or stall every session.",
                $"Give the app its own user without them: ACL SETUSER <app> on >PASSWORD ~{prefix}* +@all -@dangerous, and put user=<app> in its connection string.");
        }
        else
        {
            add("dangerous-commands", FindingSeverity.Ok, $"User '{user}' cannot run {string.Join(", ", Dangerous)}.", null);
        }
    }

    private static void CheckReplication(RedisInfo info, Action<string, FindingSeverity, string, string?> add)
    {
        var role = info["role"];
        if (role is null)
        {
            return;
        }

        if (role != "master")
        {
            var link = info["master_link_status"];
            add("replication", link == "up" ? FindingSeverity.Ok : FindingSeverity.Error,
                $"This is a replica, master link {link ?? "unknown"}.",
                link == "up" ? null : "Check the master and the replica's log.");
            return;
        }

        var replicas = info.GetInt64("connected_slaves") ?? 0;
        if (replicas == 0)
        {
            add("replication", FindingSeverity.Info, "No replica: if this server is lost, its sessions are lost with it.", "For high availability add a replica and Sentinel (serviceName= in the connection string).");
            return;
        }

        var problems = new List<string>();
        for (var n = 0; n < replicas; n++)
        {
            // slave0:ip=127.0.0.1,port=6380,state=online,offset=123,lag=0
            if (info[$"slave{n}"] is not { } line)
            {
                continue;
            }

            var parts = line.Split(',').Select(static p => p.Split('=', 2)).Where(static p => p.Length == 2).ToDictionary(static p => p[0], static p => p[1], StringComparer.Ordinal);
            var state = parts.GetValueOrDefault("state");
            var lag = long.TryParse(parts.GetValueOrDefault("lag"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : 0;
            if (state != "online" || lag > 10)
            {
                problems.Add($"{parts.GetValueOrDefault("ip")}:{parts.GetValueOrDefault("port")} state={state} lag={lag}s");
            }
        }

        if (problems.Count > 0)
        {
            add("replication", FindingSeverity.Warning, $"{replicas} replica(s), lagging or not online: {string.Join("; ", problems)}.", "Check the replicas' logs and the network between them.");
        }
        else
        {
            add("replication", FindingSeverity.Ok, $"{replicas} replica(s) online.", null);
        }
    }

    private static async Task CheckSentinelsAsync(ConfigurationOptions config, List<DoctorFinding> findings, CancellationToken ct)
    {
        var service = config.ServiceName!;
        foreach (var endpoint in config.EndPoints)
        {
            var name = endpoint.ToString() ?? "?";
            var sentinelConfig = new ConfigurationOptions
            {
                CommandMap = CommandMap.Sentinel,
                AbortOnConnectFail = true,
                ConnectTimeout = config.ConnectTimeout,
                Password = config.Password,
                User = config.User,
                Ssl = config.Ssl,
            };
            sentinelConfig.EndPoints.Add(endpoint);
            try
            {
                using var sentinel = await ConnectionMultiplexer.ConnectAsync(sentinelConfig).WaitAsync(ct).ConfigureAwait(false);
                var server = sentinel.GetServer(endpoint);
                string quorum;
                try
                {
                    quorum = (string?)await server.ExecuteAsync("SENTINEL", "CKQUORUM", service).WaitAsync(ct).ConfigureAwait(false) ?? "?";
                    findings.Add(new DoctorFinding("sentinel", FindingSeverity.Ok, $"Sentinel sees master '{service}': {quorum}", null, name));
                }
                catch (RedisServerException ex)
                {
                    findings.Add(new DoctorFinding("sentinel", FindingSeverity.Error, $"Sentinel cannot fail over '{service}': {OneLine(ex)}", "Run enough sentinels (3+) that can reach each other and the master; check SENTINEL MASTER.", name));
                }
            }
            catch (RedisConnectionException ex)
            {
                findings.Add(new DoctorFinding("sentinel", FindingSeverity.Warning, $"Sentinel unreachable ({ex.FailureType}).", "Start it or fix the endpoint in the connection string.", name));
            }
        }
    }

    private static HashSet<string> FieldOf(RedisResult reply, string field)
    {
        var parts = (RedisResult[]?)reply ?? [];
        for (var n = 0; n + 1 < parts.Length; n += 2)
        {
            if ((string?)parts[n] == field)
            {
                return parts[n + 1].Resp2Type == ResultType.Array
                    ? ((RedisResult[])parts[n + 1]!).Select(static r => (string?)r ?? string.Empty).ToHashSet(StringComparer.Ordinal)
                    : [(string?)parts[n + 1] ?? string.Empty];
            }
        }

        return [];
    }

    private static bool IsLoopbackOnly(string bind)
    {
        var addresses = bind.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return addresses.Length > 0 && addresses.All(static a =>
        {
            var address = a.TrimStart('-');
            return address is "localhost" || (IPAddress.TryParse(address, out var ip) && IPAddress.IsLoopback(ip));
        });
    }

    private static bool IsLoopback(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => IPAddress.IsLoopback(ip.Address),
        DnsEndPoint dns => dns.Host is "localhost",
        _ => false,
    };

    private static long? ParseLong(string? text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string OneLine(Exception ex) => ex.Message.Split('\n')[0].Trim();

    /// <summary>Reads configuration values, remembering the first refusal instead of throwing.</summary>
    private sealed class ConfigReader(IServer server)
    {
        public string? Refused { get; private set; }

        public async Task<string?> GetAsync(string name, CancellationToken ct)
        {
            if (Refused is not null)
            {
                return null;
            }

            try
            {
                var pairs = await server.ConfigGetAsync(name).WaitAsync(ct).ConfigureAwait(false);
                return pairs.Length > 0 ? pairs[0].Value : null;
            }
            catch (Exception ex) when (ex is RedisServerException or RedisCommandException)
            {
                Refused = OneLine(ex);
                return null;
            }
        }
    }
}
