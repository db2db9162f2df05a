using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Tessera.TestUtils;

/// <summary>
/// A Redis Cluster on loopback: three masters with one replica each (by default), created with
/// <c>redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes</c>. Every node runs on a free
/// port whose bus port (port + 10000) is free too, and is stopped by its PID.
/// </summary>
public sealed class RedisClusterTopology : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private readonly List<RedisServerProcess> _nodes;
    private int _disposed;

    private RedisClusterTopology(List<RedisServerProcess> nodes) => _nodes = nodes;

    /// <summary>Every node, masters and replicas, in start order.</summary>
    public IReadOnlyList<RedisServerProcess> Nodes => _nodes;

    /// <summary>A StackExchange.Redis configuration that lists every node.</summary>
    public string Configuration => string.Join(",", _nodes.Select(n => n.Endpoint));

    /// <summary>How long the last <see cref="Start"/> took, for reports.</summary>
    public TimeSpan StartDuration { get; private set; }

    /// <summary>Starts the nodes, creates the cluster and waits until every node says <c>cluster_state:ok</c>.</summary>
    /// <param name="masters">How many masters (at least 3).</param>
    /// <param name="replicasPerMaster">Replicas per master.</param>
    /// <returns>The running cluster.</returns>
    public static RedisClusterTopology Start(int masters = 3, int replicasPerMaster = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(masters, 3);
        ArgumentOutOfRangeException.ThrowIfNegative(replicasPerMaster);
        var clock = Stopwatch.StartNew();
        var cli = RedisServerProcess.FindBinary("redis-cli");
        var nodes = new List<RedisServerProcess>();
        try
        {
            for (var i = 0; i < masters * (1 + replicasPerMaster); i++)
            {
                nodes.Add(RedisServerProcess.Start(extraArgs:
                [
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "5000",
                    // A master would otherwise wait 5 s for more replicas before a full sync.
                    "--repl-diskless-sync-delay", "0",
                ]));
            }

            var args = new List<string> { "--cluster", "create" };
            args.AddRange(nodes.Select(n => n.Endpoint));
            args.AddRange(["--cluster-replicas", replicasPerMaster.ToString(CultureInfo.InvariantCulture), "--cluster-yes"]);
            RunTool(cli, args, TimeSpan.FromSeconds(60));

            var topology = new RedisClusterTopology(nodes);
            foreach (var node in nodes)
            {
                Poll.Until(
                    () =>
                    {
                        var info = RespClient.TryCommand(node.Port, "CLUSTER", "INFO");
                        return RespClient.InfoField(info, "cluster_state") == "ok"
                            && RespClient.InfoField(info, "cluster_known_nodes") == nodes.Count.ToString(CultureInfo.InvariantCulture);
                    },
                    ReadyTimeout,
                    $"node {node.Port} says cluster_state:ok and knows every node",
                    () => $"{RespClient.TryCommand(node.Port, "CLUSTER", "INFO")}\n{node.Output}");
            }

            // Every replica follows its master and is in sync, so clients see the roles they will keep.
            Poll.Until(
                () =>
                {
                    var described = topology.Describe();
                    return described.Count(n => n.IsMaster && n.Slots.Count > 0) == masters
                        && described.Count(n => !n.IsMaster) == masters * replicasPerMaster
                        && described.Where(n => !n.IsMaster).All(n => RespClient.InfoField(RespClient.TryCommand(n.Port, "INFO", "replication"), "master_link_status") == "up");
                },
                ReadyTimeout,
                "every replica is in sync with its master",
                () => string.Join("\n", topology.Describe()));
            topology.StartDuration = clock.Elapsed;
            return topology;
        }
        catch
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }

            throw;
        }
    }

    /// <summary>The cluster as one node sees it now (<c>CLUSTER NODES</c>).</summary>
    /// <returns>Every node with its role and slots.</returns>
    public IReadOnlyList<ClusterNode> Describe()
    {
        foreach (var node in _nodes)
        {
            if (RespClient.TryCommand(node.Port, "CLUSTER", "NODES") is string text)
            {
                return Parse(text);
            }
        }

        throw new InvalidOperationException("No cluster node answered CLUSTER NODES.");
    }

    /// <summary>The master that serves a slot now.</summary>
    /// <param name="slot">The slot.</param>
    /// <returns>The node.</returns>
    public ClusterNode OwnerOf(int slot) => Describe().Single(n => n.IsMaster && n.Serves(slot));

    /// <summary>
    /// Moves a slot and its keys to another master, as <c>redis-cli --cluster reshard</c> does:
    /// IMPORTING on the target, MIGRATING on the source, MIGRATE the keys a batch at a time, then
    /// assign the slot to the target on every master. Clients meanwhile get ASK, then MOVED.
    /// </summary>
    /// <param name="slot">The slot.</param>
    /// <param name="target">The master that receives it.</param>
    /// <param name="keysPerBatch">Keys per MIGRATE.</param>
    /// <param name="betweenBatches">Called after each batch (to let load run while the slot is split).</param>
    /// <returns>How many keys moved.</returns>
    public int MigrateSlot(int slot, ClusterNode target, int keysPerBatch = 1, Action? betweenBatches = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var source = OwnerOf(slot);
        if (source.Id == target.Id)
        {
            throw new ArgumentException($"Slot {slot} is already on {target.Port}.", nameof(target));
        }

        var slotText = slot.ToString(CultureInfo.InvariantCulture);
        Expect(target.Port, "CLUSTER", "SETSLOT", slotText, "IMPORTING", source.Id);
        Expect(source.Port, "CLUSTER", "SETSLOT", slotText, "MIGRATING", target.Id);
        var moved = 0;
        while (true)
        {
            var keys = (object?[])Expect(source.Port, "CLUSTER", "GETKEYSINSLOT", slotText, keysPerBatch.ToString(CultureInfo.InvariantCulture))!;
            if (keys.Length == 0)
            {
                break;
            }

            Expect(source.Port, ["MIGRATE", "127.0.0.1", target.Port.ToString(CultureInfo.InvariantCulture), string.Empty, "0", "5000", "KEYS", .. keys.Cast<string>()]);
            moved += keys.Length;
            betweenBatches?.Invoke();
        }

        // Target first, then source, then the other masters (as the Redis Cluster specification advises).
        var masters = Describe().Where(n => n.IsMaster).ToList();
        foreach (var node in masters.OrderBy(n => n.Id == target.Id ? 0 : n.Id == source.Id ? 1 : 2))
        {
            Expect(node.Port, "CLUSTER", "SETSLOT", slotText, "NODE", target.Id);
        }

        return moved;
    }

    /// <summary>Stops every node by its PID.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var node in _nodes)
        {
            node.Dispose();
        }
    }

    private static object? Expect(int port, params string[] args)
    {
        var reply = RespClient.Command(port, args);
        return reply is RespError error
            ? throw new InvalidOperationException($"{string.Join(' ', args.Take(4))} on {port} failed: {error.Message}")
            : reply;
    }

    private static List<ClusterNode> Parse(string text)
    {
        var nodes = new List<ClusterNode>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot> ...
            var parts = line.Split(' ');
            var address = parts[1].Split('@')[0];
            var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
            var flags = parts[2].Split(',');
            var slots = new List<(int, int)>();
            foreach (var slot in parts.Skip(8).Where(s => !s.StartsWith('[')))
            {
                var range = slot.Split('-');
                var start = int.Parse(range[0], CultureInfo.InvariantCulture);
                slots.Add((start, range.Length == 2 ? int.Parse(range[1], CultureInfo.InvariantCulture) : start));
            }

            nodes.Add(new ClusterNode(parts[0], port, flags.Contains("master"), parts[3] == "-" ? null : parts[3], slots));
        }

        return nodes;
    }

    private static void RunTool(string path, List<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {path}.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
            throw new TimeoutException($"{path} {string.Join(' ', args)} did not finish within {timeout}:\n{output}");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{path} {string.Join(' ', args)} exited with {process.ExitCode}:\n{output}");
        }
    }
}
