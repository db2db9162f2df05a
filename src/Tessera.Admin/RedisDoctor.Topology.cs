using System.Diagnostics;
using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace Tessera.Admin;

/// <summary>The latency, replication and Sentinel checks of the audit, and the small parsers they share.</summary>
public sealed partial class RedisDoctor
{
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
}
