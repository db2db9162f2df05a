using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.TestUtils;

namespace Tessera.Cli.Tests;

/// <summary>The CLI against a Redis Cluster (SCAN on every master) and through Sentinel (serviceName=).</summary>
public sealed class TopologyTests
{
    [Fact]
    public async Task Cluster_StatsListAndDoctor_CoverEveryMaster()
    {
        using var cluster = RedisClusterTopology.Start(masters: 3, replicasPerMaster: 0);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(cluster.Configuration);
        var store = Store(connection);
        var ids = new List<string>();
        for (var n = 0; n < 40; n++)
        {
            ids.Add(await TestSessions.CreateAsync(store, n % 2 == 0 ? "alice" : "bob"));
        }

        var stats = TestSessions.Json(await CliRun.RunAsync(["stats", "--json", "--redis", cluster.Configuration]));
        Assert.Equal(40, stats.GetProperty("sessions").GetInt64());
        Assert.Equal(2, stats.GetProperty("userIndexes").GetInt64());
        Assert.Equal(3, stats.GetProperty("memory").GetArrayLength());

        var seen = new List<string>();
        string? cursor = null;
        for (var page = 0; page < 40; page++)
        {
            string[] args = ["list", "--json", "--redis", cluster.Configuration, "--limit", "6", "--scan-count", "4"];
            var json = TestSessions.Json(await CliRun.RunAsync(cursor is null ? args : [.. args, "--cursor", cursor]));
            seen.AddRange(json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("handle").GetString()!));
            cursor = json.GetProperty("next").ValueKind == JsonValueKind.Null ? null : json.GetProperty("next").GetString();
            if (cursor is null)
            {
                break;
            }
        }

        Assert.Null(cursor);
        Assert.Equal(ids.Select(SessionIds.Handle).Order(), seen.Order());

        var revoked = TestSessions.Json(await CliRun.RunAsync(["user", "revoke-all", "alice", "--json", "--redis", cluster.Configuration]));
        Assert.Equal(20, revoked.GetProperty("revoked").GetInt32());

        var doctor = await CliRun.RunAsync(["doctor", "--json", "--redis", cluster.Configuration, "--pings", "1"]);
        using var report = JsonDocument.Parse(doctor.Out);
        var clusterFindings = report.RootElement.GetProperty("findings").EnumerateArray().Where(f => f.GetProperty("check").GetString() == "cluster").ToList();
        Assert.Equal(3, clusterFindings.Count);
        Assert.All(clusterFindings, f => Assert.Equal("ok", f.GetProperty("severity").GetString()));
    }

    [Fact]
    public async Task Sentinel_StatsAndDoctor_ThroughServiceName()
    {
        using var topology = RedisSentinelTopology.Start();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(topology.Configuration);
        var store = Store(connection);
        for (var n = 0; n < 5; n++)
        {
            await TestSessions.CreateAsync(store, "carol");
        }

        var stats = TestSessions.Json(await CliRun.RunAsync(["stats", "--json", "--redis", topology.Configuration]));
        Assert.Equal(5, stats.GetProperty("sessions").GetInt64());

        var doctor = await CliRun.RunAsync(["doctor", "--json", "--redis", topology.Configuration, "--pings", "1"]);
        using var report = JsonDocument.Parse(doctor.Out);
        var findings = report.RootElement.GetProperty("findings").EnumerateArray().ToList();
        var sentinels = findings.Where(f => f.GetProperty("check").GetString() == "sentinel").ToList();
        Assert.Equal(3, sentinels.Count);
        Assert.All(sentinels, f => Assert.Equal("ok", f.GetProperty("severity").GetString()));
        Assert.Equal("ok", findings.Single(f => f.GetProperty("check").GetString() == "replication").GetProperty("severity").GetString());
    }

    private static RedisSessionStore Store(IConnectionMultiplexer connection)
    {
        var options = Options.Create(new TesseraOptions());
        return new RedisSessionStore(new TesseraConnection(connection, options), options);
    }
}
