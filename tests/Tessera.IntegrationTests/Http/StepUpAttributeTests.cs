using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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

    [Fact]
    public async Task WithNoDefaultScheme_ThePrincipalOfTheEndpointsSchemeIsTheOneChecked()
    {
        // Two cookie schemes and no default: the endpoint's policy names its scheme, so the principal
        // comes from the authorization middleware, not from the default scheme (there is none).
        await using var app = await TestApp.StartAsync(
            redis.Endpoint,
            redis.PrefixFor(),
            services: s =>
            {
                s.AddAuthentication().AddCookie("staff").AddCookie("customers");
                s.AddAuthorization();
            },
            map: app =>
            {
                app.MapPost("/staff/login", async (HttpContext ctx, string user) =>
                {
                    await ctx.SignInAsync("staff", new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Name, user)], "staff")));
                    return Results.Text("ok");
                });
                app.MapGet("/staff/payroll", (HttpContext ctx) => Results.Text("payroll for " + ctx.User.Identity!.Name))
                    .RequireAuthorization(p => p.AddAuthenticationSchemes("staff").RequireAuthenticatedUser())
                    .RequireRecentAuthentication(TimeSpan.FromMinutes(5));
            });
        using var browser = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "ok"), await browser.PostTextAsync("/staff/login?user=bob"));

        // A fresh session sign-in of another user beside bob's staff login does not vouch for bob.
        Assert.Equal((HttpStatusCode.OK, "signed in"), await browser.PostTextAsync("/signin?user=mallory"));
        var refused = await browser.GetAsync("/staff/payroll");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("session-of-another-user", refused.Headers.GetValues("Tessera-Step-Up").Single());

        // The session signed in as bob does.
        Assert.Equal((HttpStatusCode.OK, "signed in"), await browser.PostTextAsync("/signin?user=bob"));
        Assert.Equal((HttpStatusCode.OK, "payroll for bob"), await browser.GetTextAsync("/staff/payroll"));
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
            CookieLogins.Map(app);
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
