using System.Text.Json;

namespace Tessera.Cli.Tests;

public sealed class WatchCommandTests(RedisFixture redis)
{
    [Fact]
    public async Task Watch_Iterations_PrintsOneJsonLineEach()
    {
        var prefix = redis.PrefixFor();
        await Seeder.SeedAsync(redis.Db, prefix, 12);

        var result = await CliRun.RunAsync(["watch", "--json", "--iterations", "3", "--interval", "20ms", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var readings = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(readings, r => Assert.Equal(12, r.GetProperty("sessionKeys").GetInt64()));
        Assert.Equal(JsonValueKind.Null, readings[0].GetProperty("commandsPerSecond").ValueKind);
        Assert.True(readings[2].GetProperty("commandsPerSecond").GetDouble() > 0);
    }

    [Fact]
    public async Task Watch_Text_OneLinePerReading()
    {
        var prefix = redis.PrefixFor();

        var result = await CliRun.RunAsync(["watch", "--iterations", "2", "--interval", "10ms", "--no-count", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("cmd/s=", result.Out, StringComparison.Ordinal);
    }
}
