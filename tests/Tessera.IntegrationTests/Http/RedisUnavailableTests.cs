using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>What users see when Redis goes away and comes back: 503s in bounded time, then recovery.</summary>
public sealed class RedisUnavailableTests
{
    [Fact]
    public async Task RedisDown_Gives503WithinTheBound_AndServiceResumesWhenBack()
    {
        var redis = RedisServerProcess.Start();
        var port = redis.Port;
        try
        {
            await using var app = await TestApp.StartAsync(redis.Endpoint, "down:", o => o.OperationTimeout = TimeSpan.FromSeconds(1));
            using var client = app.CreateClient();
            // Up and connected first: with a 1 s bound, a first request on a fresh connection can miss
            // it while the whole suite loads both cores; that is not what this test is about.
            var ready = await Eventually.WaitAsync(
                async () => (await client.PostTextAsync("/login?user=ada")).Status == HttpStatusCode.OK
                    && (await client.GetTextAsync("/peek")) == (HttpStatusCode.OK, "ada"),
                TimeSpan.FromSeconds(20));
            Assert.True(ready, "the app should serve sessions while Redis is up");
            Assert.Equal(HttpStatusCode.OK, (await client.GetTextAsync("/healthz")).Status);

            redis.Dispose();

            var clock = Stopwatch.StartNew();
            using var response = await client.GetAsync("/peek");
            clock.Stop();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
            Assert.True(response.Headers.RetryAfter is not null);
            // Bounded: the 1 s operation timeout plus scheduling slack, never a hang.
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(4));

            // Writes and atomic operations fail the same way, and a request that does not use the session still works.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetTextAsync("/view")).Status);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostTextAsync("/set?k=a&v=b")).Status);
            Assert.Equal((HttpStatusCode.OK, "ok"), await client.GetTextAsync("/health"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetTextAsync("/healthz")).Status);

            // Back on the same port: service resumes by itself (the data is gone: this Redis keeps none).
            redis = RedisServerProcess.Start(port);
            var resumed = await Eventually.WaitAsync(
                async () => (await client.PostTextAsync("/login?user=ada")).Status == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30));
            Assert.True(resumed, "service should resume within 30 s of Redis coming back");
            Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
            Assert.Equal(HttpStatusCode.OK, (await client.GetTextAsync("/healthz")).Status);
        }
        finally
        {
            redis.Dispose();
        }
    }
}
