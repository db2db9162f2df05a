using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// Redis states that are not the caller's fault (persistence failing, permissions taken away, an
/// outage) have documented outcomes: 503 with Retry-After, reads still served where Redis serves them,
/// and logs that never name a session (issue 13).
/// </summary>
public sealed partial class ServerStateTests
{
    [Fact]
    public async Task PersistenceFailing_Misconf_ReadsAreServed_WritesAre503_Never500()
    {
        // stop-writes-on-bgsave-error with a save point and a directory nothing can be saved into.
        using var redis = RedisServerProcess.Start(extraArgs: ["--save", "3600 1", "--dir", "/proc"]);
        await using var app = await TestApp.StartAsync(redis.Endpoint, "misconf:", o => o.RefreshGranularity = TimeSpan.FromMilliseconds(1));
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/login?user=ada")).Status);

        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.Endpoint},allowAdmin=true");
        await admin.GetServer(redis.Endpoint).SaveAsync(SaveType.BackgroundSave);
        Assert.True(await Eventually.WaitAsync(async () =>
        {
            try
            {
                await admin.GetDatabase().StringSetAsync("probe", "1");
                return false;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("MISCONF", StringComparison.Ordinal))
            {
                return true;
            }
        }, TimeSpan.FromSeconds(10)), "redis-server should refuse writes with MISCONF");

        // A read whose sliding refresh is due: the refresh fails, the read is served.
        await Task.Delay(5);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        var write = await client.PostTextAsync("/set?k=a&v=b");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, write.Status);
        using var visitor = app.CreateClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await visitor.PostTextAsync("/set?k=a&v=b")).Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetTextAsync("/view")).Status);
    }

    [Fact]
    public async Task PermissionsTakenAway_Are503_Never500()
    {
        using var redis = RedisServerProcess.Start();
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.Endpoint},allowAdmin=true");
        // An app user that may do everything but HINCRBY (as after a bad ACL change).
        await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "app", "on", ">pw", "~*", "&*", "+@all", "-hincrby");
        await using var app = await TestApp.StartAsync($"{redis.Endpoint},user=app,password=pw", "acl:");
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/login?user=ada")).Status);
        var response = await client.GetTextAsync("/view");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.Status);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
    }

    [Fact]
    public async Task AnOutagesLogs_NeverNameASessionIdOrKey()
    {
        var logs = new CapturingLoggerProvider();
        var redis = RedisServerProcess.Start();
        var ids = new List<string>();
        try
        {
            await using var app = await TestApp.StartAsync(redis.Endpoint, "logs:", o => o.OperationTimeout = TimeSpan.FromSeconds(1), services: s => s.AddSingleton<ILoggerProvider>(logs));
            using var client = app.CreateClient();
            await client.PostTextAsync("/signin?user=ada");
            await client.GetTextAsync("/view");
            ids.Add(client.Cookie(".Tessera")!);
            redis.Dispose();
            foreach (var path in new[] { "/peek", "/view", "/keys" })
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetTextAsync(path)).Status);
            }

            foreach (var path in new[] { "/set?k=a&v=b", "/logout", "/rotate", "/signin?user=bob" })
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostTextAsync(path)).Status);
            }
        }
        finally
        {
            redis.Dispose();
        }

        Assert.NotEmpty(logs.Lines);
        foreach (var (_, _, text) in logs.Lines)
        {
            Assert.DoesNotMatch(IdLike(), text);
            Assert.All(ids, id => Assert.DoesNotContain(id, text, StringComparison.Ordinal));
        }
    }

    // 43 characters of base64url standing alone: a session id, or a SHA-256 handle of one.
    [GeneratedRegex("(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")]
    private static partial Regex IdLike();
}
