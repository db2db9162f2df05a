using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// Step-up on MVC: <see cref="RequireRecentAuthenticationAttribute"/> on an action and on a whole
/// controller, with cookie authentication and the ticket store, against a real redis-server. The
/// app's clock (a <see cref="TimeProvider"/> in DI) is moved on instead of waiting.
/// </summary>
public sealed class StepUpAttributeTests(RedisFixture redis)
{
    [Fact]
    public async Task AnAction_PassesRightAfterSignIn_IsChallengedOnceTooOld_AndPassesAgainAfterReSignIn()
    {
        var clock = new ShiftedClock();
        await using var app = await StartAsync(clock);
        using var browser = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "ok"), await browser.PostTextAsync("/auth/login?user=grace"));
        Assert.Equal((HttpStatusCode.OK, "recovery codes"), await browser.GetTextAsync("/mvc/sensitive"));

        // The authentication time is Redis's, the comparison the app's clock: 299 s ahead plus 2 s of
        // real time make the sign-in 301 s old, while a sign-in again just now is 299 s old.
        clock.Shift = TimeSpan.FromSeconds(299);
        await Task.Delay(TimeSpan.FromSeconds(2));
        CookieLogins.AssertStepUpChallenge(await browser.GetAsync("/mvc/sensitive?tab=codes"), "/mvc/sensitive?tab=codes", "authentication-too-old");
        // Only the marked action asks: the same user still reaches the rest of the controller.
        Assert.Equal((HttpStatusCode.OK, "open"), await browser.GetTextAsync("/mvc/open"));

        Assert.Equal((HttpStatusCode.OK, "ok"), await browser.PostTextAsync("/auth/login?user=grace"));
        Assert.Equal((HttpStatusCode.OK, "recovery codes"), await browser.GetTextAsync("/mvc/sensitive"));
    }

    [Fact]
    public async Task AController_MarkedAsAWhole_AsksAnAnonymousVisitorAndAnOldLogin()
    {
        var clock = new ShiftedClock();
        await using var app = await StartAsync(clock);
        using var anonymous = app.CreateClient();
        CookieLogins.AssertStepUpChallenge(await anonymous.GetAsync("/mvc/admin"), "/mvc/admin", "not-authenticated");

        using var browser = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "ok"), await browser.PostTextAsync("/auth/login?user=hedy"));
        Assert.Equal((HttpStatusCode.OK, "admin"), await browser.GetTextAsync("/mvc/admin"));
        clock.Shift = TimeSpan.FromSeconds(61);
        CookieLogins.AssertStepUpChallenge(await browser.GetAsync("/mvc/admin"), "/mvc/admin", "authentication-too-old");
    }

    [Fact]
    public async Task WithTheStockCookieTicket_TheSessionsTimeCountsOnlyForTheSignedInUser()
    {
        // No Tessera ticket store: the login carries no authentication time, the session signed in
        // with ITesseraSession.SignInAsync does. It vouches only for the principal it was signed in as.
        await using var app = await StartAsync(new ShiftedClock(), tesseraTickets: false);
        using var browser = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "ok"), await browser.PostTextAsync("/auth/login?user=bob"));
        CookieLogins.AssertStepUpChallenge(await browser.GetAsync("/mvc/sensitive"), "/mvc/sensitive", "not-authenticated");

        Assert.Equal((HttpStatusCode.OK, "signed in"), await browser.PostTextAsync("/signin?user=mallory"));
        CookieLogins.AssertStepUpChallenge(await browser.GetAsync("/mvc/sensitive"), "/mvc/sensitive", "session-of-another-user");

        Assert.Equal((HttpStatusCode.OK, "signed in"), await browser.PostTextAsync("/signin?user=bob"));
        Assert.Equal((HttpStatusCode.OK, "recovery codes"), await browser.GetTextAsync("/mvc/sensitive"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void AMaxAgeBelowOneSecond_IsRefusedWhereItIsWritten(int seconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RequireRecentAuthenticationAttribute(seconds));

    private Task<TestApp> StartAsync(TimeProvider clock, bool tesseraTickets = true, [System.Runtime.CompilerServices.CallerMemberName] string caller = "") => TestApp.StartAsync(
        redis.Endpoint,
        redis.PrefixFor(caller),
        services: s =>
        {
            s.AddSingleton(clock);
            CookieLogins.Add(s, tesseraTickets: tesseraTickets);
            s.AddControllers().AddApplicationPart(typeof(StepUpTestController).Assembly);
        },
        map: app =>
        {
            CookieLogins.MapLogin(app);
            app.MapControllers();
        });

    /// <summary>The system clock moved on by <see cref="Shift"/>.</summary>
    private sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }
}

/// <summary>One action behind step-up, one not.</summary>
[Route("mvc")]
public sealed class StepUpTestController : ControllerBase
{
    [HttpGet("sensitive")]
    [RequireRecentAuthentication(300)]
    public IActionResult Sensitive() => Content("recovery codes");

    [HttpGet("open")]
    public IActionResult Open() => Content("open");
}

/// <summary>A controller behind step-up as a whole.</summary>
[Route("mvc/admin")]
[RequireRecentAuthentication(60)]
public sealed class StepUpAdminTestController : ControllerBase
{
    [HttpGet]
    public IActionResult Index() => Content("admin");
}
