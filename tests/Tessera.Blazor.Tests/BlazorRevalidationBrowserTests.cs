using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;
using Tessera.Tests.Browser;

namespace Tessera.Blazor.Tests;

/// <summary>
/// A real Blazor Server circuit in headless Chromium on one app instance: the user signs in, the page shows
/// the circuit's user; the login is revoked on another instance ("log out everywhere" from another device);
/// the same circuit, without a reload, shows anonymous within a second, by the revocation notice (the
/// circuits' re-check interval is 30 s here, so nothing else could do it).
/// </summary>
public sealed class BlazorRevalidationBrowserTests(BrowserFixture browser, RedisFixture redis, ITestOutputHelper output)
{
    [Fact]
    public async Task LoginRevokedElsewhere_TheOpenCircuitTurnsAnonymous_WithoutAReload()
    {
        var prefix = redis.NextPrefix();
        await using var app = await BlazorApp.StartAsync(redis.Endpoint, prefix, TimeSpan.FromSeconds(30));
        await using var elsewhere = await BlazorApp.StartAsync(redis.Endpoint, prefix, TimeSpan.FromSeconds(30));
        Assert.True(await app.Store.Revocations.StartAsync());
        await using var bob = await browser.NewContextAsync("bob-browser");
        var bobPage = await SignInAsync(bob, app, "bob");

        var latencies = new List<double>();
        for (var n = 0; n < 10; n++)
        {
            await using var context = await browser.NewContextAsync($"browser-{n}");
            var user = $"alice{n}";
            var page = await SignInAsync(context, app, user);
            var circuit = await page.Locator("#circuit").TextContentAsync();

            await Task.Delay(Random.Shared.Next(0, 200), TestContext.Current.CancellationToken);
            var started = Stopwatch.GetTimestamp();
            Assert.True(await elsewhere.Store.Users.RevokeUserSessionsAsync(user, cancellationToken: TestContext.Current.CancellationToken) >= 1);
            await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("anonymous", new() { Timeout = 5000 });
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

            // The same circuit, not a reload.
            Assert.Equal(circuit, await page.Locator("#circuit").TextContentAsync());
            if (n == 0)
            {
                await BrowserFixture.ScreenshotAsync(page, "blazor-circuit-signed-out");
            }
        }

        latencies.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"revocation to anonymous in the open circuit, {latencies.Count} runs, revoked on another instance, interval 30 s (as seen by polling the page): median {latencies[latencies.Count / 2]:F0} ms, max {latencies[^1]:F0} ms, min {latencies[0]:F0} ms"));
        // Within a second (the page is polled by Playwright, and this assembly shares the box with the other
        // suites): nine of ten, and none past the 30 s interval's worth of doubt.
        Assert.True(latencies[8] < 1000, $"9th of 10: {latencies[8]:F0} ms");
        Assert.True(latencies[^1] < 3000, $"max {latencies[^1]:F0} ms");

        // Another user's circuit kept its user throughout.
        await Assertions.Expect(bobPage.Locator("#who")).ToHaveTextAsync("signed in as bob");
    }

    private static async Task<IPage> SignInAsync(IBrowserContext context, BlazorApp app, string user)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(app.Address, $"auth/login?user={user}").ToString());
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync($"signed in as {user}");
        return page;
    }
}
