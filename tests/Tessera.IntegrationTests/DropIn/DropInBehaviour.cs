using System.Net;

namespace Tessera.IntegrationTests;

/// <summary>What an app moving from <c>AddSession()</c> relies on (issue 19), on a real server.</summary>
public abstract class DropInBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task RequestsThatDoNotUseTheSession_StillSlideItsIdleExpiry()
    {
        var idle = TimeSpan.FromSeconds(4);
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), o =>
        {
            o.IdleTimeout = idle;
            o.AbsoluteTimeout = TimeSpan.FromMinutes(1);
        });
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var key = app.Store.KeyFor(client.Cookie("__Host-Tessera")!);
        var started = DateTime.UtcNow;

        // Three requests that never touch HttpContext.Session, each sent once the key has lost 1.5 s of its
        // 4 s and each seen to put the expiry back (the slide is sent in the background): together over the
        // idle timeout, with 2.5 s of headroom per step for a loaded box instead of a fixed sleep's guess.
        for (var n = 0; n < 3; n++)
        {
            Assert.True(await Eventually.WaitAsync(async () => await Server.Db.KeyTimeToLiveAsync(key) is { } t && t <= TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(5)), "the session's expiry never ran down");
            Assert.Equal((HttpStatusCode.OK, "ok"), await client.GetTextAsync("/health"));
            Assert.True(await Eventually.WaitAsync(async () => await Server.Db.KeyTimeToLiveAsync(key) is { } t && t > TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2)), $"request {n + 1} did not slide the session");
        }

        Assert.True(DateTime.UtcNow - started > idle, "the requests did not span the idle timeout");
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
    }

    [Fact]
    public async Task SlidingUntouchedSessions_Off_LetsTheSessionExpire()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), o =>
        {
            o.IdleTimeout = TimeSpan.FromSeconds(1);
            o.AbsoluteTimeout = TimeSpan.FromMinutes(1);
            o.SlideUntouchedSessions = false;
        });
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        for (var n = 0; n < 3; n++)
        {
            await Task.Delay(600);
            await client.GetTextAsync("/health");
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/peek")).Status);
    }

    [Fact]
    public async Task AnUntouchedRequestWithARotatedAwayCookie_NeverLengthensTheTombstone()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), o => o.RotationGracePeriod = TimeSpan.FromSeconds(3));
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var old = client.Cookie("__Host-Tessera")!;
        await client.PostTextAsync("/rotate");
        using var oldTab = app.CreateClient();
        oldTab.SetCookie("__Host-Tessera", old);
        await oldTab.GetTextAsync("/health");
        await Task.Delay(50);
        var ttl = await Server.Db.KeyTimeToLiveAsync(app.Store.KeyFor(old));
        Assert.InRange(ttl!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }
}

public sealed class RedisDropInTests(RedisFixture server) : DropInBehaviour(server);

public sealed class GarnetDropInTests(GarnetFixture server) : DropInBehaviour(server);
