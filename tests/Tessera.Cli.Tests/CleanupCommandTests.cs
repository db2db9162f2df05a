namespace Tessera.Cli.Tests;

public sealed class CleanupCommandTests(RedisFixture redis)
{
    [Fact]
    public async Task Cleanup_DryRunThenTtl_OnlyTtlLessSessionsGetOne()
    {
        var prefix = redis.PrefixFor();
        await Seeder.SeedAsync(redis.Db, prefix, 10);
        var loose = new[] { 1, 4, 7 }.Select(Seeder.IdOf).ToArray();
        foreach (var id in loose)
        {
            await redis.Db.KeyPersistAsync(prefix + id);
        }

        await redis.Db.StringSetAsync(prefix + "not-a-session", "keep me");

        var dry = await CliRun.RunAsync(["cleanup", "--json", "--redis", redis.Endpoint, "--prefix", prefix]);
        var report = TestSessions.Json(dry);
        Assert.True(report.GetProperty("dryRun").GetBoolean());
        Assert.Equal(3, report.GetProperty("found").GetInt64());
        Assert.Equal(0, report.GetProperty("applied").GetInt64());
        foreach (var id in loose)
        {
            Assert.Null(await redis.Db.KeyTimeToLiveAsync(prefix + id));
        }

        var text = await CliRun.RunAsync(["cleanup", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.Contains("Dry run", text.Out, StringComparison.Ordinal);
        Assert.Contains(SessionIds.TagOfHandle(loose[0]), text.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(loose[0], text.Out, StringComparison.Ordinal);

        var applied = TestSessions.Json(await CliRun.RunAsync(["cleanup", "--apply", "--ttl", "1h", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        Assert.Equal(3, applied.GetProperty("applied").GetInt64());
        foreach (var id in loose)
        {
            var ttl = await redis.Db.KeyTimeToLiveAsync(prefix + id);
            Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        }

        Assert.True(await redis.Db.KeyTimeToLiveAsync(prefix + Seeder.IdOf(0)) < TimeSpan.FromMinutes(21));
        Assert.Equal("keep me", (string?)await redis.Db.StringGetAsync(prefix + "not-a-session"));
        var after = TestSessions.Json(await CliRun.RunAsync(["cleanup", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        Assert.Equal(0, after.GetProperty("found").GetInt64());
    }

    [Fact]
    public async Task Cleanup_Delete_RemovesSessionsAndIndexEntries()
    {
        var prefix = redis.PrefixFor();
        await Seeder.SeedAsync(redis.Db, prefix, 6, users: 2);
        var loose = Seeder.IdOf(3);
        await redis.Db.KeyPersistAsync(prefix + loose);

        var result = await CliRun.RunAsync(["cleanup", "--apply", "--delete", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Deleted 1", result.Out, StringComparison.Ordinal);
        Assert.False(await redis.Db.KeyExistsAsync(prefix + loose));
        Assert.Null(await redis.Db.SortedSetScoreAsync(prefix + "user:user1", loose));
        Assert.True(await redis.Db.KeyExistsAsync(prefix + Seeder.IdOf(2)));
    }

    [Theory]
    [InlineData("--apply")]
    [InlineData("--apply", "--ttl", "1h", "--delete")]
    [InlineData("--ttl", "soon")]
    [InlineData("--ttl", "0s")]
    public async Task Cleanup_BadCombination_ExitsTwo(params string[] args)
    {
        var result = await CliRun.RunAsync(["cleanup", "--redis", redis.Endpoint, .. args]);

        Assert.Equal(2, result.ExitCode);
    }
}
