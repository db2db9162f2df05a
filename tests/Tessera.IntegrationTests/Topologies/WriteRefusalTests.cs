using System.Net;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// A Redis that is up but refuses writes, as docs/operations.md advises configuring it
/// (<c>min-replicas-to-write</c> when the replicas lag) or as a full <c>noeviction</c> server does:
/// the user gets a 503, never a 500, and reads still work.
/// </summary>
public sealed class WriteRefusalTests
{
    [Theory]
    [InlineData("NOREPLICAS")]
    [InlineData("OOM")]
    public async Task RedisRefusingWrites_Gives503_AndReadsStillWork(string refusal)
    {
        using var redis = RedisServerProcess.Start();
        await using var app = await TestApp.StartAsync(redis.Endpoint, "refuse:", o => o.OperationTimeout = TimeSpan.FromSeconds(2));
        using var client = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "logged in"), await client.PostTextAsync("/login?user=ada"));

        string[][] refuseWrites = refusal == "NOREPLICAS"
            ? [["CONFIG", "SET", "min-replicas-to-write", "1"]]
            : [["CONFIG", "SET", "maxmemory-policy", "noeviction"], ["CONFIG", "SET", "maxmemory", "1"]];
        foreach (var command in refuseWrites)
        {
            Assert.Equal("OK", RespClient.Command(redis.Port, command));
        }

        var write = RespClient.Command(redis.Port, "SET", "refuse:probe", "x");
        Assert.StartsWith(refusal, Assert.IsType<RespError>(write).Message, StringComparison.Ordinal);

        // Writes: a new session, a commit, an atomic counter.
        using var newcomer = app.CreateClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await newcomer.PostTextAsync("/set?k=a&v=b")).Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostTextAsync("/set?k=a&v=b")).Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetTextAsync("/view")).Status);

        // A read whose sliding refresh is not due writes nothing, so it still works.
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));

        // Logout deletes: a full server still allows that (it frees memory); without replicas it is refused.
        Assert.Equal(
            refusal == "OOM" ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable,
            (await client.PostTextAsync("/logout")).Status);
    }
}
