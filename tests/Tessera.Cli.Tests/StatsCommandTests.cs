using System.Diagnostics;
using StackExchange.Redis;
using Tessera.TestUtils;

namespace Tessera.Cli.Tests;

public sealed class StatsCommandTests(RedisFixture redis, ITestOutputHelper output)
{
    [Fact]
    public async Task Stats_MixedKeyspace_CountsEveryKind()
    {
        var prefix = redis.PrefixFor();
        await Seeder.SeedAsync(redis.Db, prefix, 30, users: 3);
        var store = redis.CreateStore(prefix);
        var big = await TestSessions.CreateAsync(store, "zoe", ("blob", new string('b', 5000)));
        var loose = await TestSessions.CreateAsync(store);
        await redis.Db.KeyPersistAsync(prefix + SessionIds.Handle(loose));
        await redis.Db.HashSetAsync(prefix + SessionIds.NewId(), [new HashEntry("#r", SessionIds.NewId())]);
        await redis.Db.StringSetAsync(prefix + "lock:" + SessionIds.Handle(big), "token", TimeSpan.FromMinutes(1));
        await redis.Db.StringSetAsync(prefix + "something-else", "x");

        var result = await CliRun.RunAsync(["stats", "--json", "--redis", redis.Endpoint, "--prefix", prefix, "--top", "3"]);

        var json = TestSessions.Json(result);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(32, json.GetProperty("sessions").GetInt64());
        Assert.Equal(1, json.GetProperty("tombstones").GetInt64());
        Assert.Equal(4, json.GetProperty("userIndexes").GetInt64());
        Assert.Equal(1, json.GetProperty("locks").GetInt64());
        Assert.Equal(1, json.GetProperty("foreign").GetInt64());
        Assert.Equal(1, json.GetProperty("ttlLess").GetInt64());
        Assert.Equal(31, json.GetProperty("withUser").GetInt64());
        Assert.Equal(4, json.GetProperty("distinctUsers").GetInt64());
        var top = json.GetProperty("topUsers").EnumerateArray().ToList();
        Assert.Equal(3, top.Count);
        Assert.Equal(10, top[0].GetProperty("sessions").GetInt64());

        var largest = json.GetProperty("largest").EnumerateArray().First();
        Assert.Equal("zoe", largest.GetProperty("userId").GetString());
        Assert.Equal(SessionIds.LogTag(big), largest.GetProperty("session").GetString());
        Assert.DoesNotContain(big, result.Out, StringComparison.Ordinal);

        var histogram = json.GetProperty("ttlHistogram").EnumerateArray().ToDictionary(b => b.GetProperty("label").GetString()!, b => b.GetProperty("count").GetInt64());
        Assert.Equal(31, histogram["15m-1h"]);
        Assert.Equal(1, histogram["none"]);
        var sizes = json.GetProperty("sizes");
        Assert.Equal("#s", sizes.GetProperty("source").GetString());
        Assert.Equal(209, sizes.GetProperty("p50").GetInt64());
        Assert.True(sizes.GetProperty("max").GetInt64() > 5000);
        Assert.True(json.GetProperty("memory")[0].GetProperty("usedBytes").GetInt64() > 0);
    }

    [Fact]
    public async Task Stats_Table_ShowsSectionsAndTagsNotIds()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var id = await TestSessions.CreateAsync(store, "alice");

        var result = await CliRun.RunAsync(["stats", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Keys under the prefix", result.Out, StringComparison.Ordinal);
        Assert.Contains("Sessions by remaining TTL", result.Out, StringComparison.Ordinal);
        Assert.Contains("Largest sessions", result.Out, StringComparison.Ordinal);
        Assert.Contains("alice", result.Out, StringComparison.Ordinal);
        Assert.Contains(SessionIds.LogTag(id), result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(id, result.Out, StringComparison.Ordinal);

        var withIds = await CliRun.RunAsync(["stats", "--redis", redis.Endpoint, "--prefix", prefix, "--show-ids"]);
        Assert.Contains(SessionIds.Handle(id), withIds.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(id, withIds.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_MemoryUsage_SizesFromRedis()
    {
        var prefix = redis.PrefixFor();
        await Seeder.SeedAsync(redis.Db, prefix, 10);

        var json = TestSessions.Json(await CliRun.RunAsync(["stats", "--json", "--memory-usage", "--redis", redis.Endpoint, "--prefix", prefix]));

        Assert.Equal("MEMORY USAGE", json.GetProperty("sizes").GetProperty("source").GetString());
        Assert.True(json.GetProperty("sizes").GetProperty("p50").GetInt64() > 209);
    }

    [Fact]
    public async Task Stats_100kSessions_CountsEveryOne()
    {
        // Its own server: seeding 100,000 sessions would hold up the shared one for the other tests.
        using var server = RedisServerProcess.Start();
        // Seeding runs 100 scripts of 1,000 sessions; on a loaded 2-core box one can take over the default 5 s.
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"{server.Endpoint},asyncTimeout=60000,syncTimeout=60000");
        var seed = Stopwatch.StartNew();
        await Seeder.SeedAsync(connection.GetDatabase(), "session:", 100_000, users: 1000);
        output.WriteLine($"seeded 100,000 sessions in {seed.Elapsed.TotalSeconds:0.00} s");

        var run = Stopwatch.StartNew();
        var json = TestSessions.Json(await CliRun.RunAsync(["stats", "--json", "--redis", server.Endpoint]));
        output.WriteLine($"stats over 100,000 sessions (+1,000 user indexes) in {run.Elapsed.TotalSeconds:0.00} s ({json.GetProperty("keysPerSecond").GetDouble():N0} keys/s)");

        Assert.Equal(100_000, json.GetProperty("sessions").GetInt64());
        Assert.Equal(1000, json.GetProperty("userIndexes").GetInt64());
        Assert.Equal(1000, json.GetProperty("distinctUsers").GetInt64());
        Assert.Equal(0, json.GetProperty("ttlLess").GetInt64());
        Assert.Equal(100, json.GetProperty("topUsers")[0].GetProperty("sessions").GetInt64());
        Assert.Equal(100_000, json.GetProperty("ttlHistogram").EnumerateArray().Single(b => b.GetProperty("label").GetString() == "15m-1h").GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task Stats_Sample_EstimatesTheSessionsWithAnIntervalThatHoldsThem()
    {
        // Its own server: a sample estimates over every key of the database, and the shared one holds other tests' keys.
        using var server = RedisServerProcess.Start();
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"{server.Endpoint},asyncTimeout=60000");
        await Seeder.SeedAsync(connection.GetDatabase(), "session:", 20_000, users: 200);

        var json = TestSessions.Json(await CliRun.RunAsync(["stats", "--sample", "2000", "--json", "--redis", server.Endpoint]));
        Assert.True(json.GetProperty("sampled").GetBoolean());
        Assert.Equal(20_200, json.GetProperty("totalKeys").GetInt64());
        var sessions = json.GetProperty("sessions");
        double low = sessions.GetProperty("low").GetDouble(), high = sessions.GetProperty("high").GetDouble();
        var margin = (high - low) / 2;

        // One draw: twice the stated margin (about 4 standard errors), so a correct estimator does not fail one run in 20.
        Assert.InRange(20_000, low - margin, high + margin);
        Assert.InRange(margin, 1, 2_000);
    }

    [Theory]
    [InlineData("999")]
    [InlineData("1000001")]
    public async Task Stats_SampleOutOfRange_IsUsage(string keys)
    {
        var result = await CliRun.RunAsync(["stats", "--sample", keys, "--redis", "127.0.0.1:1"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--sample must be between 1000 and 1000000", result.Error, StringComparison.Ordinal);
    }
}
