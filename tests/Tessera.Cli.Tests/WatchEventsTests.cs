using System.Text.Json;
using Microsoft.Extensions.Options;
using Tessera.Analytics;

namespace Tessera.Cli.Tests;

/// <summary><c>tessera watch --events</c> against the stream a real app's <see cref="TesseraAnalytics"/> writes, on a real redis-server.</summary>
public sealed class WatchEventsTests(RedisFixture redis)
{
    [Fact]
    public async Task WatchEvents_AfterSignInAndRevoke_PrintsTheEventsOldestFirst_ByTagOnly()
    {
        var prefix = redis.PrefixFor("watch-events");
        var options = Options.Create(new TesseraOptions { KeyPrefix = prefix });
        var connection = new TesseraConnection(redis.Multiplexer, options);
        var analytics = new TesseraAnalytics(connection, options, Options.Create(new TesseraAnalyticsOptions { EventStream = true }));
        var store = new RedisSessionStore(connection, options, observers: [analytics]);
        var id = SessionIds.NewId();
        await store.CreateAsync(id, new SessionChanges(), new SessionWrite { UserId = "alice" });
        Assert.True(await store.Users.RevokeAsync(id));
        var stream = AnalyticsLayout.StreamKey(prefix);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (await redis.Db.StreamLengthAsync(stream) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20); // XADD is fire-and-forget: wait until Redis has both
        }

        var result = await CliRun.RunAsync(["watch", "--events", "--json", "--iterations", "1", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(static l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["Created", "Revoked"], lines.Select(static l => l.GetProperty("kind").GetString()));
        Assert.All(lines, l => Assert.Equal(SessionIds.LogTag(id), l.GetProperty("session").GetString()));
        Assert.All(lines, l => Assert.Equal("alice", l.GetProperty("user").GetString()));
        Assert.DoesNotContain(id, result.Out, StringComparison.Ordinal);

        var text = await CliRun.RunAsync(["watch", "--events", "--last", "1", "--iterations", "1", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("Revoked", text.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Created", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchEvents_Garnet_FailsWithAClearMessage()
    {
        using var garnet = new Tessera.TestUtils.EmbeddedGarnet();
        var result = await CliRun.RunAsync(["watch", "--events", "--iterations", "1", "--redis", garnet.Endpoint]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no streams", result.Error, StringComparison.Ordinal);
    }
}
