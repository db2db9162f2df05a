using System.Text.Json;
using StackExchange.Redis;
using Tessera.TestUtils;

namespace Tessera.Cli.Tests;

public sealed class DoctorCommandTests(RedisFixture redis)
{
    [Fact]
    public async Task Doctor_DefaultServer_WarnsWithoutErrors()
    {
        var result = await CliRun.RunAsync(["doctor", "--json", "--redis", redis.Endpoint, "--pings", "3"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var findings = Findings(result);
        Assert.Equal("warning", findings["persistence"]);
        Assert.Equal("ok", findings["persistence-errors"]);
        Assert.Equal("warning", findings["maxmemory"]);
        Assert.Equal("warning", findings["maxmemory-policy"]);
        Assert.Equal("warning", findings["auth"]);
        Assert.Equal("ok", findings["protected-mode"]);
        Assert.Equal("warning", findings["dangerous-commands"]);
        Assert.Equal("ok", findings["version"]);
        Assert.Contains(findings["latency"], new[] { "ok", "warning" }); // a loaded test machine may be slow: only that it was measured
        Assert.Equal("ok", findings["hz"]);
        Assert.Equal("info", findings["replication"]);
        Assert.DoesNotContain("config", findings.Keys);
        using var document = JsonDocument.Parse(result.Out);
        Assert.Equal(0, document.RootElement.GetProperty("errors").GetInt32());
        Assert.All(document.RootElement.GetProperty("findings").EnumerateArray().Where(f => f.GetProperty("severity").GetString() == "warning"),
            f => Assert.False(string.IsNullOrEmpty(f.GetProperty("fix").GetString())));
    }

    [Fact]
    public async Task Doctor_AllkeysEvictionPolicy_ErrorAndExitOne()
    {
        using var server = RedisServerProcess.Start();
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"{server.Endpoint},allowAdmin=true");
        await connection.GetServer(server.Endpoint).ConfigSetAsync("maxmemory-policy", "allkeys-lru");

        var result = await CliRun.RunAsync(["doctor", "--redis", server.Endpoint, "--pings", "2"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"error\s*│\s*maxmemory-policy\s*│\s*maxmemory-policy allkeys-lru evicts live sessions", result.Out);
        Assert.Contains("fix: CONFIG SET maxmemory-policy volatile-lru", result.Out, StringComparison.Ordinal);
        Assert.Contains("1 error(s)", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_AofEverysecAndVolatilePolicy_Ok()
    {
        using var server = RedisServerProcess.Start(extraArgs: ["--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory", "256mb", "--maxmemory-policy", "volatile-lru"]);

        var findings = Findings(await CliRun.RunAsync(["doctor", "--json", "--redis", server.Endpoint, "--pings", "2"]));

        Assert.Equal("ok", findings["persistence"]);
        Assert.Equal("ok", findings["maxmemory"]);
        Assert.Equal("ok", findings["maxmemory-policy"]);
    }

    [Fact]
    public async Task Doctor_Valkey_NamesValkeyAndItsVersion()
    {
        // Valkey reports redis_version 7.2.4 (the release it forked from): the operator must see Valkey's own version.
        using var server = RedisServerProcess.StartValkey(["--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory", "256mb", "--maxmemory-policy", "volatile-lru"]);

        var result = await CliRun.RunAsync(["doctor", "--json", "--redis", server.Endpoint, "--pings", "2"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var findings = Findings(result);
        Assert.Equal("ok", findings["version"]);
        Assert.Matches(@"Valkey 8\.\d+\.\d+ \(speaks Redis 7\.2\.4\)", result.Out);
        Assert.Equal("ok", findings["persistence"]);
        Assert.Equal("ok", findings["maxmemory-policy"]);
    }

    [Fact]
    public async Task Doctor_ConfigRefusedByAcl_IsAFindingNotACrash()
    {
        var user = "doctor-" + Guid.NewGuid().ToString("N")[..8];
        var server = redis.Multiplexer.GetServer(redis.Endpoint);
        await server.ExecuteAsync("ACL", "SETUSER", user, "on", ">secret", "~*", "+@all", "-config");
        try
        {
            var result = await CliRun.RunAsync(["doctor", "--json", "--redis", $"{redis.Endpoint},user={user},password=secret", "--pings", "2"]);

            Assert.True(result.ExitCode == 0, result.ToString());
            var findings = Findings(result);
            Assert.Equal("warning", findings["config"]);
            Assert.Contains("Cannot read config", result.Out, StringComparison.Ordinal);
            Assert.Equal("warning", findings["maxmemory-policy"]);
            Assert.Equal("warning", findings["persistence"]);
        }
        finally
        {
            await server.ExecuteAsync("ACL", "DELUSER", user);
        }
    }

    [Fact]
    public async Task Doctor_AppUserWithoutDangerousCommands_Ok()
    {
        var user = "app-" + Guid.NewGuid().ToString("N")[..8];
        var server = redis.Multiplexer.GetServer(redis.Endpoint);
        await server.ExecuteAsync("ACL", "SETUSER", user, "on", ">secret", "~session:*", "+@all", "-@dangerous");
        try
        {
            var findings = Findings(await CliRun.RunAsync(["doctor", "--json", "--redis", redis.Endpoint, "--app-user", user, "--pings", "1"]));

            Assert.Equal("ok", findings["dangerous-commands"]);
        }
        finally
        {
            await server.ExecuteAsync("ACL", "DELUSER", user);
        }
    }

    [Fact]
    public async Task Doctor_WithReplica_ReportsItOnline()
    {
        using var master = RedisServerProcess.Start();
        using var replica = RedisServerProcess.Start(extraArgs: ["--replicaof", "127.0.0.1", master.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"{master.Endpoint},allowAdmin=true");
        Poll.Until(
            () => ((string?)connection.GetServer(master.Endpoint).InfoRaw("replication"))!.Contains("state=online", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15),
            "the replica to come online");

        var findings = Findings(await CliRun.RunAsync(["doctor", "--json", "--redis", master.Endpoint, "--pings", "1"]));

        Assert.Equal("ok", findings["replication"]);
    }

    private static Dictionary<string, string> Findings(CliResult result)
    {
        using var document = JsonDocument.Parse(result.Out);
        return document.RootElement.GetProperty("findings").EnumerateArray()
            .ToDictionary(f => f.GetProperty("check").GetString()!, f => f.GetProperty("severity").GetString()!);
    }
}
