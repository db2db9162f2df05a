using System.Text.Json;
using StackExchange.Redis;
using Tessera.TestUtils;

namespace Tessera.Cli.Tests;

public sealed class ListCommandTests(RedisFixture redis)
{
    [Fact]
    public async Task List_Filters_UserIdleAndSize()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var alice = await TestSessions.CreateAsync(store, "alice");
        var aliceBig = await TestSessions.CreateAsync(store, "alice", ("cart", new string('c', 6000)));
        var bob = await TestSessions.CreateAsync(store, "bob");
        var idle = await TestSessions.CreateAsync(store, "carol");
        var longAgo = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds();
        await redis.Db.HashSetAsync(prefix + SessionIds.Handle(idle), "#a", longAgo);

        var byUser = await ListIdsAsync(prefix, "--user", "alice");
        Assert.Equal(new[] { alice, aliceBig }.Select(SessionIds.Handle).Order(), byUser.Order());

        var large = await ListIdsAsync(prefix, "--larger-than", "4KB");
        Assert.Equal([SessionIds.Handle(aliceBig)], large);

        var stale = await ListIdsAsync(prefix, "--idle-longer-than", "10m");
        Assert.Equal([SessionIds.Handle(idle)], stale);

        var all = await ListIdsAsync(prefix);
        Assert.Equal(new[] { alice, aliceBig, bob, idle }.Select(SessionIds.Handle).Order(), all.Order());

        var none = await ListIdsAsync(prefix, "--user", "alice", "--larger-than", "10KB");
        Assert.Empty(none);
    }

    [Fact]
    public async Task List_Paging_WalksEverySessionOnce()
    {
        // Its own server: SCAN may return a key twice while the keyspace grows (a rehash), and the
        // shared server grows under the other tests; "exactly once" holds for a keyspace at rest.
        using var server = RedisServerProcess.Start();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
        var prefix = redis.PrefixFor();
        await Seeder.SeedAsync(connection.GetDatabase(), prefix, 53, users: 5);
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            string[] args = ["list", "--json", "--redis", server.Endpoint, "--prefix", prefix, "--limit", "7", "--scan-count", "10"];
            var json = TestSessions.Json(await CliRun.RunAsync(cursor is null ? args : [.. args, "--cursor", cursor]));
            var ids = json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("handle").GetString()!).ToList();
            Assert.True(ids.Count <= 7);
            seen.AddRange(ids);
            cursor = json.GetProperty("next").ValueKind == JsonValueKind.Null ? null : json.GetProperty("next").GetString();
            Assert.True(++pages < 50, "paging did not end");
        }
        while (cursor is not null);

        Assert.Equal(53, seen.Count);
        Assert.Equal(Enumerable.Range(0, 53).Select(Seeder.IdOf).Order(), seen.Order());
    }

    [Fact]
    public async Task List_Table_PrintsWholeIdsAndNextCursor()
    {
        var prefix = redis.PrefixFor();
        await Seeder.SeedAsync(redis.Db, prefix, 5);

        var result = await CliRun.RunAsync(["list", "--redis", redis.Endpoint, "--prefix", prefix, "--limit", "2"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("2 session(s)", result.Out, StringComparison.Ordinal);
        Assert.Contains("--cursor ", result.Out, StringComparison.Ordinal);
        Assert.Equal(2, Enumerable.Range(0, 5).Count(n => result.Out.Contains(Seeder.IdOf(n), StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("--idle-longer-than", "ten minutes")]
    [InlineData("--larger-than", "4 parsecs")]
    [InlineData("--limit", "0")]
    [InlineData("--cursor", "not-a-cursor")]
    public async Task List_BadValue_ExitsTwo(string option, string value)
    {
        var result = await CliRun.RunAsync(["list", "--redis", redis.Endpoint, option, value]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option, result.Error, StringComparison.Ordinal);
    }

    private async Task<List<string>> ListIdsAsync(string prefix, params string[] filters)
    {
        var json = TestSessions.Json(await CliRun.RunAsync(["list", "--json", "--redis", redis.Endpoint, "--prefix", prefix, .. filters]));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("next").ValueKind);
        return json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("handle").GetString()!).ToList();
    }
}
