using Tessera.Tests.Browser;
using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Tessera.Demo.Tests;

/// <summary>The dashboard the demo mounts at /admin, and its /metrics, through the round-robin proxy on the embedded Garnet.</summary>
public sealed class DemoDashboardTests(DemoFixture demo, BrowserFixture browser)
{
    [Fact]
    public async Task Admin_Anonymous_IsSentToLogIn_AndGetsNoDashboard()
    {
        using var client = demo.CreateClient();
        var (response, body) = await client.GetPageAsync("/admin");
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/?m=admin", response.Headers.Location!.OriginalString);
        Assert.DoesNotContain("Overview", body, StringComparison.Ordinal);
        var (post, _) = await client.PostAsync("/admin/users/revoke-all", new FormUrlEncodedContent([new("user", "anyone")]));
        Assert.Equal(HttpStatusCode.Found, post.StatusCode);
    }

    [Fact]
    public async Task Admin_AfterLogin_ShowsTheOperatorTheirOwnDevice_AndLiveSaysGarnetHasNoStreams()
    {
        await using var context = await browser.NewContextAsync("TesseraDemoTest/1.0 (operator laptop)");
        var page = await context.NewPageAsync();
        var user = "op-" + Guid.NewGuid().ToString("N")[..6];
        await page.GotoAsync(new Uri(demo.Url, "/admin").ToString());
        await Expect(page.Locator("#notice")).ToContainTextAsync("needs a login");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", DemoClient.Password);
        await page.ClickAsync("#login");
        await Expect(page.Locator("#user")).ToHaveTextAsync(user);

        await page.GotoAsync(new Uri(demo.Url, "/admin").ToString());
        await Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        Assert.True(long.Parse((await page.Locator("dd[data-figure=sessions]").GetAttributeAsync("data-value"))!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        await BrowserFixture.ScreenshotAsync(page, "20-admin-overview");

        await page.GotoAsync(new Uri(demo.Url, "/admin/users?user=" + user).ToString());
        await Expect(page.Locator("table[data-table=devices] tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("table[data-table=devices]")).ToContainTextAsync("operator laptop");

        await page.GotoAsync(new Uri(demo.Url, "/admin/live").ToString());
        await Expect(page.Locator(".notice")).ToContainTextAsync("not available on this server");
        await BrowserFixture.ScreenshotAsync(page, "21-admin-live-garnet");

        await page.GotoAsync(new Uri(demo.Url, "/admin/audit").ToString());
        await Expect(page.Locator("h1")).ToHaveTextAsync("Redis audit");
        await Expect(page.Locator("tr[data-check=version]")).ToContainTextAsync("Garnet");
    }

    [Fact]
    public async Task Metrics_AfterSessionWork_ExposesTesseraInstrumentsForPrometheus()
    {
        using var client = demo.CreateClient();
        await client.LoginAsync("metrics-" + Guid.NewGuid().ToString("N")[..6]);
        using var response = await client.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("tessera_operation_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("tessera_operation=\"load\"", text, StringComparison.Ordinal);
        Assert.Contains("db_system_name=\"redis\"", text, StringComparison.Ordinal);
        Assert.Contains("tessera_sessions_created", text, StringComparison.Ordinal);
    }
}
