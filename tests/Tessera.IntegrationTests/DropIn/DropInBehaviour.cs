using System.Net;

namespace Tessera.IntegrationTests;

/// <summary>What an app moving from <c>AddSession()</c> relies on (issue 19), on a real server.</summary>
public abstract class DropInBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task RequestsThatDoNotUseTheSession_StillSlideItsIdleExpiry()
    {
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), o =>
        {
            o.IdleTimeout = TimeSpan.FromSeconds(2);
            o.AbsoluteTimeout = TimeSpan.FromMinutes(1);
        });
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        // Five requests 1 s apart that never touch HttpContext.Session: 5 s, over twice the idle timeout.
        for (var n = 0; n < 5; n++)
        {
            await Task.Delay(1000);
            Assert.Equal((HttpStatusCode.OK, "ok"), await client.GetTextAsync("/health"));
        }

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
        var old = client.Cookie(".Tessera")!;
        await client.PostTextAsync("/rotate");
        using var oldTab = app.CreateClient();
        oldTab.SetCookie(".Tessera", old);
        await oldTab.GetTextAsync("/health");
        await Task.Delay(50);
        var ttl = await Server.Db.KeyTimeToLiveAsync(app.Store.KeyFor(old));
        Assert.InRange(ttl!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }
}

public sealed class RedisDropInTests(RedisFixture server) : DropInBehaviour(server);

public sealed class GarnetDropInTests(GarnetFixture server) : DropInBehaviour(server);
