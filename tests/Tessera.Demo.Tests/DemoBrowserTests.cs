using Tessera.Tests.Browser;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Tessera.Demo.Tests;

/// <summary>The demo end to end in headless Chromium, through the round-robin proxy. Screenshots go to TestResults/screenshots.</summary>
public sealed class DemoBrowserTests(DemoFixture demo, BrowserFixture browser)
{
    /// <summary>The password the tests' users sign up with (the first login with a name sets it).</summary>
    public const string Password = DemoClient.Password;

    private static readonly LocatorAssertionsToHaveTextOptions Quick = new() { Timeout = 10_000 };

    [Fact]
    public async Task Login_RotatesTheId_CounterIsOneSessionOnEveryInstance_LogoutEndsIt()
    {
        await using var context = await browser.NewContextAsync("TesseraDemoTest/1.0 (laptop)");
        var page = await context.NewPageAsync();
        await page.GotoAsync(demo.Url.ToString());
        await Expect(page.Locator("#no-session")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "01-new-visitor");

        // An anonymous session first, so the login has an ID to rotate away from.
        await page.ClickAsync("#count");
        await Expect(page.Locator("#counter")).ToHaveTextAsync("1", Quick);
        var anonymousId = await page.Locator("#session-id").InnerTextAsync();

        var user = Unique("ada");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("#login");
        await Expect(page.Locator("#user")).ToHaveTextAsync(user, Quick);
        var oldId = await page.Locator("#old-id").InnerTextAsync();
        var newId = await page.Locator("#new-id").InnerTextAsync();
        Assert.Equal(anonymousId, oldId);
        Assert.NotEqual(oldId, newId);
        Assert.Equal(newId, await page.Locator("#session-id").InnerTextAsync());
        await Expect(page.Locator("#counter")).ToHaveTextAsync("1", Quick); // carried over by the rotation
        await BrowserFixture.ScreenshotAsync(page, "02-logged-in-id-rotated");

        var incrementedBy = new HashSet<string>(StringComparer.Ordinal);
        var servedBy = new HashSet<string>(StringComparer.Ordinal);
        for (var expected = 2; expected <= 7; expected++)
        {
            await page.ClickAsync("#count");
            await Expect(page.Locator("#counter")).ToHaveTextAsync(expected.ToString(CultureInfo.InvariantCulture), Quick);
            incrementedBy.Add(await page.Locator("#done-by").InnerTextAsync());
            servedBy.Add((await page.Locator("#served-by").GetAttributeAsync("data-instance"))!);
        }

        Assert.True(incrementedBy.Count >= 2, $"The increments were all done by {string.Join(", ", incrementedBy)}; round robin should spread them.");
        Assert.True(servedBy.Count >= 2, $"The pages were all served by {string.Join(", ", servedBy)}.");
        await BrowserFixture.ScreenshotAsync(page, "03-counter-across-instances");

        // Every instance, asked directly with the browser's cookie, sees the same session.
        foreach (var instance in demo.Host.Instances)
        {
            var response = await context.APIRequest.GetAsync(new Uri(instance.Url, "api/session").ToString());
            Assert.True(response.Ok, $"{instance.Name}: {response.Status}");
            var json = await response.JsonAsync();
            Assert.Equal(instance.Name, json!.Value.GetProperty("instance").GetString());
            var session = json.Value.GetProperty("session");
            Assert.Equal(user, session.GetProperty("user").GetString());
            Assert.Equal(7, session.GetProperty("counter").GetInt64());
        }

        await page.ClickAsync("#logout");
        await Expect(page.Locator("#notice")).ToContainTextAsync("logged out", new() { Timeout = 10_000 });
        await Expect(page.Locator("#no-session")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "04-logged-out");
        var after = await (await context.APIRequest.GetAsync(new Uri(demo.Url, "api/session").ToString())).JsonAsync();
        Assert.Equal(JsonValueKind.Null, after!.Value.GetProperty("session").ValueKind);
    }

    [Fact]
    public async Task ShortIdleTimeout_RedisExpiresTheSession_AndThePageShowsItLoggedOut()
    {
        await using var context = await browser.NewContextAsync("TesseraDemoTest/1.0 (tablet)");
        await context.Clock.InstallAsync(); // time flows; held only around the banner's screenshot
        var page = await context.NewPageAsync();
        await page.GotoAsync(demo.Url.ToString());
        var user = Unique("tess");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("#login");
        await Expect(page.Locator("#user")).ToHaveTextAsync(user, Quick);

        await page.FillAsync("#idle", "5");
        await page.ClickAsync("#set-ttl");
        await Expect(page.Locator("#idle-timeout")).ToHaveTextAsync("5 s", Quick);
        await Expect(page.Locator("#notice")).ToContainTextAsync("Idle timeout set to 5 s");
        var clock = Stopwatch.StartNew();
        await BrowserFixture.ScreenshotAsync(page, "05-idle-timeout-5s-counting-down");

        // No request touches the session now; the countdown only reads PTTL. Redis deletes the key,
        // the page notices and reloads as logged out.
        // The banner goes to the sign-in page 1.5 s later by itself: the page's timers step until it shows,
        // and stay held while it is screenshot.
        await using (await BrowserFixture.HoldTimersAsync(page))
        {
            await BrowserFixture.RunTimersUntilVisibleAsync(page, page.Locator("#expired-banner"), TimeSpan.FromSeconds(20));
            await BrowserFixture.ScreenshotAsync(page, "06-expired-banner");
        }

        await Expect(page.Locator("#notice")).ToContainTextAsync("Your session has ended", new() { Timeout = 20_000 });
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(3), $"The session ended after only {clock.Elapsed}; the idle timeout was 5 s.");
        await Expect(page.Locator("#no-session")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "07-expired-logged-out");
    }

    [Fact]
    public async Task IdleWarning_CountsDownWithoutExtending_AndStaySignedInSlidesTheSession()
    {
        await using var context = await browser.NewContextAsync("TesseraDemoTest/1.0 (desk)");
        var page = await context.NewPageAsync();
        await page.GotoAsync(demo.Url.ToString());
        var user = Unique("wes");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("#login");
        await Expect(page.Locator("#user")).ToHaveTextAsync(user, Quick);
        await page.FillAsync("#idle", "20");
        await page.ClickAsync("#set-ttl");
        await Expect(page.Locator("#idle-timeout")).ToHaveTextAsync("20 s", Quick);

        // The countdown polls /api/ttl (WithoutSessionSliding) every 3 s: the warning comes anyway.
        await Expect(page.Locator("#idle-warning")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(page.Locator("#idle-warning")).ToContainTextAsync("You will be signed out in");
        var seconds = int.Parse(await page.Locator("#idle-warning-seconds").InnerTextAsync(), CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 1, 10);
        await BrowserFixture.ScreenshotAsync(page, "15-idle-warning");

        // "Stay signed in" posts to an ordinary endpoint: the session slides and the warning goes.
        await page.ClickAsync("#stay-signed-in");
        await Expect(page.Locator("#idle-warning")).ToBeHiddenAsync(new() { Timeout = 10_000 });
        var left = await page.EvaluateAsync<JsonElement>("async () => (await fetch('/api/ttl', { cache: 'no-store' })).json()");
        Assert.True(left.GetProperty("exists").GetBoolean());
        await Expect(page.Locator("#user")).ToHaveTextAsync(user, Quick);
    }

    [Fact]
    public async Task SecondBrowser_SeesBothDevices_AndLogsTheFirstOut()
    {
        var user = Unique("grace");
        await using var laptop = await browser.NewContextAsync("TesseraDemoTest/1.0 (laptop)");
        await laptop.Clock.InstallAsync(); // time flows; held only around the banner's screenshot
        await using var phone = await browser.NewContextAsync("TesseraDemoTest/1.0 (phone)");
        var first = await laptop.NewPageAsync();
        var second = await phone.NewPageAsync();
        foreach (var page in new[] { first, second })
        {
            await page.GotoAsync(demo.Url.ToString());
            await page.FillAsync("#username", user);
            await page.FillAsync("#password", Password);
            await page.ClickAsync("#login");
            await Expect(page.Locator("#user")).ToHaveTextAsync(user, Quick);
        }

        await Expect(second.Locator("#device-summary")).ToContainTextAsync("2 of 3");
        await second.ClickAsync("#devices-link");
        await Expect(second.Locator("#device-count")).ToHaveTextAsync("2", Quick);
        await Expect(second.Locator("#devices")).ToContainTextAsync("(laptop)");
        await Expect(second.Locator("#devices")).ToContainTextAsync("(phone)");
        await BrowserFixture.ScreenshotAsync(second, "08-two-devices");
        await first.GotoAsync(new Uri(demo.Url, "devices").ToString());
        await Expect(first.Locator("#device-count")).ToHaveTextAsync("2", Quick);

        // The first browser's timers are held from here to its banner's screenshot, so the page cannot leave
        // for the sign-in page (2.5 s after the banner) while it is taken. The live stream is no timer.
        await using (await BrowserFixture.HoldTimersAsync(first))
        {
            await second.ClickAsync("#logout-others");
            await Expect(second.Locator("#notice")).ToContainTextAsync("Logged out 1 other device.", new() { Timeout = 10_000 });
            await Expect(second.Locator("#device-count")).ToHaveTextAsync("1", Quick);
            await BrowserFixture.ScreenshotAsync(second, "09-logged-out-other-devices");

            // The first browser's open page learns it at once, with no reload and no timer (the revocation
            // notice, through whichever instance holds its live stream), and goes to the sign-in page.
            await Expect(first.Locator("#signed-out-banner")).ToBeVisibleAsync(new() { Timeout = 2_000 });
            await BrowserFixture.ScreenshotAsync(first, "10a-first-device-told-live");
        }

        await Expect(first.Locator("#notice")).ToContainTextAsync("Your session has ended", new() { Timeout = 10_000 });
        await Expect(first.Locator("#no-session")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(first, "10-first-device-logged-out");

        await second.ReloadAsync();
        await Expect(second.Locator("#device-count")).ToHaveTextAsync("1", Quick);
    }

    [Fact]
    public async Task LogoutInOneTab_TheOtherTabIsToldLive_WithoutAReload()
    {
        var user = Unique("heidi");
        await using var context = await browser.NewContextAsync("TesseraDemoTest/1.0 (tabs)");
        await context.Clock.InstallAsync(); // time flows; held only around the banner's screenshot
        var first = await context.NewPageAsync();
        await first.GotoAsync(demo.Url.ToString());
        await first.FillAsync("#username", user);
        await first.FillAsync("#password", Password);
        await first.ClickAsync("#login");
        await Expect(first.Locator("#user")).ToHaveTextAsync(user, Quick);

        // A second tab of the same browser: the same session, served by another instance.
        var second = await context.NewPageAsync();
        await second.GotoAsync(new Uri(demo.Url, "devices").ToString());
        await Expect(second.Locator("#device-count")).ToHaveTextAsync("1", Quick);
        Assert.False(await second.Locator("#signed-out-banner").IsVisibleAsync());

        // The tabs' timers are held from here to the banner's screenshot, so the second tab cannot leave for
        // the sign-in page (2.5 s after the banner) while it is taken, and no timer (no poll) can be what told it.
        await using (await BrowserFixture.HoldTimersAsync(second))
        {
            await first.ClickAsync("#logout");
            await Expect(first.Locator("#no-session")).ToBeVisibleAsync();

            // Well inside the countdown's 3 s poll (and the devices page has no countdown at all): the live stream.
            await Expect(second.Locator("#signed-out-banner")).ToBeVisibleAsync(new() { Timeout = 2_000 });
            await BrowserFixture.ScreenshotAsync(second, "10b-other-tab-told-live");
        }

        await Expect(second.Locator("#no-session")).ToBeVisibleAsync(new() { Timeout = 10_000 });
    }

    [Fact]
    public async Task DevicesPage_EachBrowserMarksItsOwnDevice_AndRevokeLogsTheOtherOut()
    {
        var user = Unique("hedy");
        await using var laptop = await browser.NewContextAsync("TesseraDemoTest/1.0 (laptop; Linux x86_64) Chromium");
        await using var phone = await browser.NewContextAsync("TesseraDemoTest/1.0 (phone; Android 15) Mobile");
        var pages = new List<IPage>();
        foreach (var context in new[] { laptop, phone })
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(demo.Url.ToString());
            await page.FillAsync("#username", user);
            await page.FillAsync("#password", Password);
            await page.ClickAsync("#login");
            await Expect(page.Locator("#user")).ToHaveTextAsync(user, Quick);
            await page.GotoAsync(new Uri(demo.Url, "devices").ToString());
            await Expect(page.Locator("#device-count")).ToHaveTextAsync(pages.Count == 0 ? "1" : "2", Quick);
            pages.Add(page);
        }

        var (onLaptop, onPhone) = (pages[0], pages[1]);
        await onLaptop.ReloadAsync();

        // Each browser sees both devices and marks only its own as "this device".
        foreach (var (page, own, other) in new[] { (onLaptop, "(laptop", "(phone"), (onPhone, "(phone", "(laptop") })
        {
            await Expect(page.Locator("#devices tbody tr")).ToHaveCountAsync(2);
            await Expect(page.Locator("#devices [data-current]")).ToHaveCountAsync(1);
            await Expect(page.Locator("#devices tbody tr.current")).ToContainTextAsync(own);
            await Expect(page.Locator("#devices tbody tr:not(.current)")).ToContainTextAsync(other);
            await Expect(page.Locator("#devices tbody tr:not(.current) button[data-revoke]")).ToHaveCountAsync(1);
            await Expect(page.Locator("#limit-policy")).ToHaveTextAsync("DenyNew");
        }

        await Expect(onPhone.Locator("#devices tbody tr.current")).ToContainTextAsync("this device");
        await BrowserFixture.ScreenshotAsync(onPhone, "13-devices-page");

        // The phone revokes the laptop by its handle; the laptop's next request is a new visitor.
        var laptopHandle = await onPhone.Locator("#devices tbody tr:not(.current)").GetAttributeAsync("data-handle");
        await onPhone.ClickAsync("#devices tbody tr:not(.current) button[data-revoke]");
        await Expect(onPhone.Locator("#notice")).ToContainTextAsync("Logged out the device " + laptopHandle![..8], new() { Timeout = 10_000 });
        await Expect(onPhone.Locator("#device-count")).ToHaveTextAsync("1", Quick);
        await Expect(onPhone.Locator("#devices tbody tr.current")).ToContainTextAsync("(phone");
        await BrowserFixture.ScreenshotAsync(onPhone, "14-device-revoked");

        await onLaptop.ReloadAsync();
        await Expect(onLaptop.Locator("#notice")).ToContainTextAsync("Your session has ended", new() { Timeout = 10_000 });
        await Expect(onLaptop.Locator("#no-session")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task StepUp_TooOld_AsksForThePassword_ThenGoesBack()
    {
        var maxAge = demo.Host.Settings.StepUpMaxAge;
        await using var context = await browser.NewContextAsync("TesseraDemoTest/1.0 (step-up)");
        var page = await context.NewPageAsync();
        await page.GotoAsync(demo.Url.ToString());
        var user = Unique("lise");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("#login");
        await Expect(page.Locator("#user")).ToHaveTextAsync(user, Quick);

        // Just signed in: the sensitive page opens at once.
        await page.GotoAsync(new Uri(demo.Url, "devices").ToString());
        await page.ClickAsync("#recovery-codes-link");
        await Expect(page.Locator("#recovery-codes li")).ToHaveCountAsync(8);

        // Once the sign-in is older than the step-up age, the same link asks for the password.
        var clock = Stopwatch.StartNew();
        var codesUrl = new Uri(demo.Url, "devices/recovery-codes").ToString();
        while (true)
        {
            await page.GotoAsync(codesUrl);
            if (new Uri(page.Url).AbsolutePath == "/confirm")
            {
                break;
            }

            Assert.True(clock.Elapsed < maxAge + TimeSpan.FromSeconds(20), $"Still not asked for the password {clock.Elapsed} after signing in (step-up age {maxAge}).");
            await page.WaitForTimeoutAsync(250);
        }

        Assert.Contains("returnUrl=%2Fdevices%2Frecovery-codes", page.Url, StringComparison.Ordinal);
        await Expect(page.Locator("#h-confirm")).ToHaveTextAsync("Confirm it is you");
        await Expect(page.Locator("#return-url")).ToHaveTextAsync("/devices/recovery-codes");
        await BrowserFixture.ScreenshotAsync(page, "15-step-up-confirm");

        await page.FillAsync("#password", "not the password");
        await page.ClickAsync("#confirm");
        await Expect(page.Locator("#confirm-error")).ToContainTextAsync("That is not the password of " + user);
        Assert.EndsWith("/confirm", page.Url, StringComparison.Ordinal);

        await page.FillAsync("#password", Password);
        await page.ClickAsync("#confirm");
        await Expect(page.Locator("#recovery-codes li")).ToHaveCountAsync(8);
        Assert.EndsWith("/devices/recovery-codes", page.Url, StringComparison.Ordinal);
        await Expect(page.Locator("#notice")).ToContainTextAsync("Password confirmed");
        await BrowserFixture.ScreenshotAsync(page, "16-step-up-passed");
    }

    [Fact]
    public async Task BadInput_IsRefusedOnThePage_WithTheFormShownAgain_AndNoScriptRuns()
    {
        await using var context = await browser.NewContextAsync("TesseraDemoTest/1.0 (bad input)");
        var page = await context.NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, dialog) =>
        {
            dialogs++;
            _ = dialog.DismissAsync();
        };
        await page.GotoAsync(demo.Url.ToString());

        const string Script = "<script>alert(1)</script>";
        await page.FillAsync("#username", Script);
        var refused = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#login"), r => r.Url.EndsWith("/login", StringComparison.Ordinal));
        Assert.Equal(400, refused.Status);
        await Expect(page.Locator("#login-error")).ToContainTextAsync("may contain only letters, digits");
        await Expect(page.Locator("#username")).ToHaveValueAsync(Script);
        await Expect(page.Locator("#username")).ToHaveAttributeAsync("aria-invalid", "true");
        await BrowserFixture.ScreenshotAsync(page, "11-bad-username");

        var user = Unique("eve");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("#login");
        await Expect(page.Locator("#user")).ToHaveTextAsync(user, Quick);
        await page.FillAsync("#idle", "-5");
        refused = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#set-ttl"), r => r.Url.EndsWith("/ttl", StringComparison.Ordinal));
        Assert.Equal(400, refused.Status);
        await Expect(page.Locator("#ttl-error")).ToContainTextAsync("at least 5 seconds");
        await Expect(page.Locator("#idle")).ToHaveValueAsync("-5");
        await BrowserFixture.ScreenshotAsync(page, "12-bad-ttl");
        Assert.Equal(0, dialogs);
    }

    [Fact]
    public async Task OneTimeCode_WorksOnce_AndIsShownWithItsLifetimeInTheRawView()
    {
        await using var context = await browser.NewContextAsync("TesseraDemoTest/1.0 (one-time code)");
        var page = await context.NewPageAsync();
        await page.GotoAsync(demo.Url.ToString());

        await page.ClickAsync("#new-code");
        await Expect(page.Locator("#notice")).ToContainTextAsync("Your one-time code is", new() { Timeout = 10_000 });
        var code = System.Text.RegularExpressions.Regex.Match(await page.Locator("#notice").InnerTextAsync(), "code is ([0-9]{6})").Groups[1].Value;
        Assert.Equal(6, code.Length);
        await Expect(page.Locator("main")).ToContainTextAsync("app value with a lifetime");
        await BrowserFixture.ScreenshotAsync(page, "13-one-time-code");

        await page.FillAsync("#code-input", code);
        await page.ClickAsync("#use-code");
        await Expect(page.Locator("#notice")).ToContainTextAsync("Code accepted", new() { Timeout = 10_000 });

        await page.FillAsync("#code-input", code);
        var refused = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#use-code"), r => r.Url.EndsWith("/code/use", StringComparison.Ordinal));
        Assert.Equal(400, refused.Status);
        await Expect(page.Locator("#code-use-error")).ToContainTextAsync("No code to use");
        await Expect(page.Locator("#code-input")).ToHaveAttributeAsync("aria-invalid", "true");
    }

    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";
}
