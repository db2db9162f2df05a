using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.TestUtils;

/// <summary>
/// Redis Sentinel on loopback: a master, one replica and three sentinels (quorum 2), every process
/// on a free port and stopped by its PID. A failover test asks for a short down-after (1 s) so the
/// failover finishes in a few seconds; every other user gets 30 s, because on a busy 2-core box the
/// sentinels missed each other's 1 s deadline and reported themselves unusable (a doctor run saw
/// "NOQUORUM 1 usable" after the start had seen 3), and could even fail a healthy master over. The sentinels start already knowing the replica and each other (preset
/// sentinel ids), so nothing waits for the hello-message discovery.
/// </summary>
public sealed class RedisSentinelTopology : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private readonly List<RedisServerProcess> _servers;
    private readonly List<RedisServerProcess> _sentinels;
    private int _disposed;

    private RedisSentinelTopology(string serviceName, List<RedisServerProcess> servers, List<RedisServerProcess> sentinels)
    {
        ServiceName = serviceName;
        _servers = servers;
        _sentinels = sentinels;
    }

    /// <summary>The monitored master's name (the <c>serviceName=</c> of the connection string).</summary>
    public string ServiceName { get; }

    /// <summary>The server that was master at start (it may have been killed or demoted since).</summary>
    public RedisServerProcess InitialMaster => _servers[0];

    /// <summary>The server that was the replica at start.</summary>
    public RedisServerProcess InitialReplica => _servers[1];

    /// <summary>The data servers: the initial master, then the replica.</summary>
    public IReadOnlyList<RedisServerProcess> Servers => _servers;

    /// <summary>The three sentinels.</summary>
    public IReadOnlyList<RedisServerProcess> Sentinels => _sentinels;

    /// <summary>A StackExchange.Redis configuration: the sentinels and <c>serviceName=</c>.</summary>
    public string Configuration =>
        string.Join(",", _sentinels.Select(s => s.Endpoint)) + ",serviceName=" + ServiceName;

    /// <summary>Starts the topology and waits until the replica is in sync and every sentinel sees the full picture.</summary>
    /// <param name="serviceName">The master's name.</param>
    /// <param name="downAfter">How long a master must be unreachable before a sentinel calls it down (default 30 s: only a failover test wants it short).</param>
    /// <param name="failoverTimeout">Sentinel's failover-timeout (default 3 s).</param>
    /// <returns>The running topology.</returns>
    public static RedisSentinelTopology Start(string serviceName = "tessera", TimeSpan? downAfter = null, TimeSpan? failoverTimeout = null)
    {
        var down = (long)(downAfter ?? TimeSpan.FromSeconds(30)).TotalMilliseconds;
        var failover = (long)(failoverTimeout ?? TimeSpan.FromSeconds(3)).TotalMilliseconds;
        var servers = new List<RedisServerProcess>();
        var sentinels = new List<RedisServerProcess>();
        try
        {
            // No diskless-sync delay: by default a master waits 5 s for more replicas before a full sync.
            string[] fastSync = ["--repl-diskless-sync-delay", "0"];
            var master = RedisServerProcess.Start(extraArgs: fastSync);
            servers.Add(master);
            var replica = RedisServerProcess.Start(extraArgs: [.. fastSync, "--replicaof", "127.0.0.1", Port(master.Port)]);
            servers.Add(replica);
            Poll.Until(
                () => RespClient.InfoField(RespClient.TryCommand(replica.Port, "INFO", "replication"), "master_link_status") == "up",
                ReadyTimeout,
                $"the replica on {replica.Port} is in sync with {master.Port}",
                () => replica.Output);

            var ports = Enumerable.Range(0, 3).Select(_ => FreePort.Get()).ToArray();
            var ids = ports.Select(_ => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20))).ToArray();
            for (var i = 0; i < ports.Length; i++)
            {
                var config = new StringBuilder()
                    .Append(CultureInfo.InvariantCulture, $"sentinel myid {ids[i]}\n")
                    .Append(CultureInfo.InvariantCulture, $"sentinel monitor {serviceName} 127.0.0.1 {master.Port} 2\n")
                    .Append(CultureInfo.InvariantCulture, $"sentinel down-after-milliseconds {serviceName} {down}\n")
                    .Append(CultureInfo.InvariantCulture, $"sentinel failover-timeout {serviceName} {failover}\n")
                    .Append(CultureInfo.InvariantCulture, $"sentinel parallel-syncs {serviceName} 1\n")
                    .Append(CultureInfo.InvariantCulture, $"sentinel known-replica {serviceName} 127.0.0.1 {replica.Port}\n");
                for (var j = 0; j < ports.Length; j++)
                {
                    if (j != i)
                    {
                        config.Append(CultureInfo.InvariantCulture, $"sentinel known-sentinel {serviceName} 127.0.0.1 {ports[j]} {ids[j]}\n");
                    }
                }

                sentinels.Add(RedisServerProcess.StartSentinel(ports[i], config.ToString()));
            }

            var topology = new RedisSentinelTopology(serviceName, servers, sentinels);
            foreach (var sentinel in sentinels)
            {
                Poll.Until(
                    () => topology.SentinelSees(sentinel.Port),
                    ReadyTimeout,
                    $"sentinel {sentinel.Port} sees master {master.Port}, one replica and two other usable sentinels",
                    () => sentinel.Output);
            }

            return topology;
        }
        catch
        {
            foreach (var process in sentinels.Concat(servers))
            {
                process.Dispose();
            }

            throw;
        }
    }

    /// <summary>The master's port as a sentinel reports it now, or null when that sentinel does not answer.</summary>
    /// <param name="sentinel">The sentinel (index into <see cref="Sentinels"/>).</param>
    /// <returns>The port.</returns>
    public int? MasterPortFromSentinel(int sentinel = 0)
    {
        var reply = RespClient.TryCommand(_sentinels[sentinel].Port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName);
        return reply is object?[] { Length: 2 } pair && pair[1] is string port
            ? int.Parse(port, CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>The data server that listens on a port.</summary>
    /// <param name="port">The port.</param>
    /// <returns>The server.</returns>
    public RedisServerProcess ServerOn(int port) => _servers.Single(s => s.Port == port);

    /// <summary>Waits until the replica has received every write the master acknowledged (equal replication offsets).</summary>
    /// <param name="timeout">The bound.</param>
    /// <returns>How long it took.</returns>
    public TimeSpan WaitForReplication(TimeSpan timeout) =>
        Poll.Until(
            () =>
            {
                var master = RespClient.InfoField(RespClient.TryCommand(InitialMaster.Port, "INFO", "replication"), "master_repl_offset");
                var replica = RespClient.InfoField(RespClient.TryCommand(InitialReplica.Port, "INFO", "replication"), "slave_repl_offset");
                return master is not null && master == replica;
            },
            timeout,
            "the replica's offset reaches the master's");

    /// <summary>
    /// Waits until every sentinel that answers names a master other than <paramref name="oldMasterPort"/>
    /// and that server says it is a master.
    /// </summary>
    /// <param name="oldMasterPort">The master before the failover.</param>
    /// <param name="timeout">The bound.</param>
    /// <returns>The new master.</returns>
    public RedisServerProcess WaitForFailover(int oldMasterPort, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        int? promoted = null;
        Poll.Until(
            () =>
            {
                var ports = Enumerable.Range(0, _sentinels.Count).Select(i => MasterPortFromSentinel(i)).Where(p => p is not null).Distinct().ToList();
                if (ports.Count != 1 || ports[0] == oldMasterPort)
                {
                    return false;
                }

                promoted = ports[0];
                var role = RespClient.TryCommand(promoted!.Value, "ROLE");
                return role is object?[] { Length: > 0 } r && r[0] as string == "master";
            },
            timeout,
            $"the sentinels promote a new master in place of {oldMasterPort}",
            () => string.Join("\n---\n", _sentinels.Select(s => s.Output)));
        return ServerOn(promoted!.Value);
    }

    /// <summary>Starts one more replica of the master on <paramref name="masterPort"/> and waits until it is in sync (the sentinels learn it from the master).</summary>
    /// <param name="masterPort">The master now.</param>
    /// <returns>The replica.</returns>
    public RedisServerProcess AddReplica(int masterPort)
    {
        var replica = RedisServerProcess.Start(extraArgs: ["--repl-diskless-sync-delay", "0", "--replicaof", "127.0.0.1", Port(masterPort)]);
        _servers.Add(replica);
        Poll.Until(
            () => RespClient.InfoField(RespClient.TryCommand(replica.Port, "INFO", "replication"), "master_link_status") == "up",
            ReadyTimeout,
            $"the new replica on {replica.Port} is in sync with {masterPort}",
            () => replica.Output);
        Poll.Until(
            () => _sentinels.All(s => KnowsUsableReplica(s.Port, replica.Port)),
            ReadyTimeout,
            $"every sentinel knows the replica on {replica.Port} and sees it up");
        return replica;
    }

    /// <summary>Stops every process by its PID (sentinels first).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var process in _sentinels.Concat(_servers))
        {
            process.Dispose();
        }
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private bool KnowsUsableReplica(int sentinelPort, int replicaPort)
    {
        if (RespClient.TryCommand(sentinelPort, "SENTINEL", "REPLICAS", ServiceName) is not object?[] replicas)
        {
            return false;
        }

        foreach (var entry in replicas.OfType<object?[]>())
        {
            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < entry.Length; i += 2)
            {
                fields[(string)entry[i]!] = entry[i + 1] as string;
            }

            if (fields.GetValueOrDefault("port") == Port(replicaPort) && fields.GetValueOrDefault("flags") is { } flags && !flags.Contains("down", StringComparison.Ordinal) && !flags.Contains("disconnected", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private bool SentinelSees(int sentinelPort)
    {
        if (RespClient.TryCommand(sentinelPort, "SENTINEL", "MASTER", ServiceName) is not object?[] flat)
        {
            return false;
        }

        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            fields[(string)flat[i]!] = flat[i + 1] as string;
        }

        // A preset known-sentinel counts in num-other-sentinels before the link to it is up; CKQUORUM
        // counts only the usable ones (a doctor run straight after start saw "NOQUORUM 1 usable").
        return fields.GetValueOrDefault("flags") == "master"
            && fields.GetValueOrDefault("port") == Port(InitialMaster.Port)
            && fields.GetValueOrDefault("num-slaves") == "1"
            && fields.GetValueOrDefault("num-other-sentinels") == "2"
            && RespClient.TryCommand(sentinelPort, "SENTINEL", "CKQUORUM", ServiceName) is string quorum
            && quorum.StartsWith("OK 3 usable", StringComparison.Ordinal);
    }
}
