using Tessera.TestUtils;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.SignalR.Client;

namespace Tessera.IntegrationTests;

/// <summary>
/// Live connections end when their login does: a real SignalR client (WebSockets) on one instance of a
/// two-instance farm (Kestrel on loopback ports, one redis-server), the login revoked through the other.
/// The farm's re-check interval is 30 s, so what ends a connection within a second is the revocation
/// notice; the interval as the fallback for a lost notice has its own test with a 1 s interval.
/// Measured latencies and command counts: in the Timing category, which test.sh runs alone after the rest.
/// </summary>
[Collection(TimingCollection.Name)]
[Trait("Category", TimingCollection.Name)]
public sealed class LiveConnectionTests(RedisFixture redis, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortInterval = TimeSpan.FromSeconds(1);
    private readonly EphemeralDataProtectionProvider _keys = new();
    private LiveApp _one = null!;
    private LiveApp _two = null!;

    public async ValueTask InitializeAsync()
    {
        var prefix = redis.PrefixFor();
        _one = await LiveApp.StartAsync(redis.Endpoint, prefix, _keys, Interval);
        _two = await LiveApp.StartAsync(redis.Endpoint, prefix, _keys, Interval);
        Assert.True(await _one.Store.Revocations.StartAsync());
        Assert.True(await _two.Store.Revocations.StartAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _one.DisposeAsync();
        await _two.DisposeAsync();
    }

    [Fact]
    public async Task LogoutOnInstanceOne_ClosesTheConnectionOnInstanceTwo_WithinASecond_ByTheNotice()
    {
        // A bystander: another user's connection on the same instance, which must live through it all.
        var bystanderJar = new CookieContainer();
        await LoginAsync(_one, bystanderJar, "bystander");
        await using var bystander = _two.Hub(bystanderJar);
        await bystander.StartAsync(TestContext.Current.CancellationToken);

        var latencies = new List<double>();
        for (var n = 0; n < 20; n++)
        {
            var jar = new CookieContainer();
            var user = $"user{n}";
            using var http = await LoginAsync(_one, jar, user);
            await using var connection = _two.Hub(jar);
            var closed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.Closed += _ =>
            {
                closed.TrySetResult(Stopwatch.GetTimestamp());
                return Task.CompletedTask;
            };
            await connection.StartAsync(TestContext.Current.CancellationToken);
            Assert.Equal(user, await connection.InvokeAsync<string>("Whoami", TestContext.Current.CancellationToken));

            // Spread the revocations (the notice must not depend on any phase).
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 200)), TestContext.Current.CancellationToken);
            using (var logout = await http.PostAsync(new Uri("auth/logout", UriKind.Relative), null, TestContext.Current.CancellationToken))
            {
                Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
            }

            var revoked = Stopwatch.GetTimestamp();
            var at = await closed.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            latencies.Add(Stopwatch.GetElapsedTime(revoked, at).TotalMilliseconds);
            Assert.Equal(HubConnectionState.Disconnected, connection.State);
        }

        latencies.Sort();
        var median = latencies[latencies.Count / 2];
        var p99 = latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"revocation to close on the other instance, {latencies.Count} runs, interval {Interval.TotalMilliseconds} ms: median {median:F0} ms, p99 {p99:F0} ms, min {latencies[0]:F0} ms"));
        Assert.True(p99 < 1000, $"p99 {p99:F0} ms");

        Assert.Equal(HubConnectionState.Connected, bystander.State);
        Assert.Equal("bystander", await bystander.InvokeAsync<string>("Whoami", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task LogOutEverywhere_ClosesTheUsersConnectionsOnBothInstances_AndNoOneElses()
    {
        var jar = new CookieContainer();
        using var http = await LoginAsync(_one, jar, "grace");
        var otherJar = new CookieContainer();
        using var other = await LoginAsync(_two, otherJar, "heidi");
        await using var onOne = _one.Hub(jar);
        await using var onTwo = _two.Hub(jar);
        await using var heidi = _two.Hub(otherJar);
        foreach (var c in new[] { onOne, onTwo, heidi })
        {
            await c.StartAsync(TestContext.Current.CancellationToken);
        }

        Assert.True(await _two.Store.Users.RevokeUserSessionsAsync("grace", cancellationToken: TestContext.Current.CancellationToken) >= 1);

        Assert.True(await Eventually.WaitAsync(() => Task.FromResult(onOne.State == HubConnectionState.Disconnected && onTwo.State == HubConnectionState.Disconnected), TimeSpan.FromSeconds(1)));
        Assert.Equal("heidi", await heidi.InvokeAsync<string>("Whoami", TestContext.Current.CancellationToken));

        // The copied cookie opens no new connection as grace either.
        await using var again = _two.Hub(jar);
        await again.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal("anonymous", await again.InvokeAsync<string>("Whoami", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ALostNotice_CostsAtMostTheInterval()
    {
        var prefix = redis.PrefixFor();
        await using var one = await LiveApp.StartAsync(redis.Endpoint, prefix, _keys, ShortInterval);
        await using var two = await LiveApp.StartAsync(redis.Endpoint, prefix, _keys, ShortInterval);
        var jar = new CookieContainer();
        using var http = await LoginAsync(one, jar, "judy");
        await using var connection = two.Hub(jar);
        await connection.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal("judy", await connection.InvokeAsync<string>("Whoami", TestContext.Current.CancellationToken));

        // The login ended in Redis with no notice at all (as if the message were lost): the re-check finds it.
        var login = Assert.Single(await one.Store.Users.GetUserSessionsAsync("judy", TestContext.Current.CancellationToken));
        Assert.True(await redis.Db.KeyDeleteAsync(one.Store.KeyForHandle(login.Handle)));
        var ended = Stopwatch.StartNew();
        Assert.True(await Eventually.WaitAsync(() => Task.FromResult(connection.State == HubConnectionState.Disconnected), ShortInterval + TimeSpan.FromSeconds(1)));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"no notice, interval {ShortInterval.TotalMilliseconds} ms: closed after {ended.Elapsed.TotalMilliseconds:F0} ms"));
    }

    [Fact]
    public async Task TenConnectionsOfOneLogin_CostOneHmgetPerInterval()
    {
        var prefix = redis.PrefixFor();
        await using var one = await LiveApp.StartAsync(redis.Endpoint, prefix, _keys, ShortInterval);
        await using var two = await LiveApp.StartAsync(redis.Endpoint, prefix, _keys, ShortInterval);
        var jar = new CookieContainer();
        using var http = await LoginAsync(one, jar, "ivan");
        var connections = new List<HubConnection>();
        for (var n = 0; n < 10; n++)
        {
            var c = two.Hub(jar);
            await c.StartAsync(TestContext.Current.CancellationToken);
            connections.Add(c);
        }

        Assert.True(await Eventually.WaitAsync(() => Task.FromResult(two.Watched == 10), TimeSpan.FromSeconds(3)));
        var counter = new CommandCounter(int.Parse(redis.Endpoint[(redis.Endpoint.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture));
        var window = Stopwatch.StartNew();
        var counts = await counter.MeasureAsync(() => Task.Delay(TimeSpan.FromSeconds(3.5), TestContext.Current.CancellationToken));
        window.Stop();
        var hmget = counts.GetValueOrDefault("hmget");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"10 connections of one login on one instance, {window.Elapsed.TotalSeconds:F1} s: {hmget} HMGET, all commands: {string.Join(", ", counts.Select(p => $"{p.Key}={p.Value}"))}"));

        // Two instances re-check each interval; only the one with connections sends anything.
        Assert.InRange(hmget, 2, 5);
        foreach (var c in connections)
        {
            await c.DisposeAsync();
        }
    }

    private static async Task<HttpClient> LoginAsync(LiveApp app, CookieContainer jar, string user)
    {
        var http = app.Client(jar);
        using var response = await http.PostAsync(new Uri($"auth/login?user={user}", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return http;
    }
}
