using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// Cookie authentication with Tessera's ticket store for test apps: the services, the login, logout and
/// "who am I" endpoints, and the check of a step-up challenge.
/// </summary>
public static class CookieLogins
{
    /// <summary>Where the cookie handler sends a challenged request.</summary>
    public const string LoginPage = "/auth/login-page";

    /// <summary>The login cookie's name (the default scheme's).</summary>
    public const string LoginCookie = ".AspNetCore.Cookies";

    /// <summary>The login key (ticket-store key) a login cookie of the app's default scheme names.</summary>
    /// <param name="app">The app that wrote the cookie.</param>
    /// <param name="cookie">The cookie's value.</param>
    /// <returns>The key.</returns>
    public static string LoginKeyOf(TestApp app, string cookie)
    {
        var options = app.App.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);
        var ticket = options.TicketDataFormat.Unprotect(cookie) ?? throw new InvalidOperationException("Not a login cookie of this app.");
        return ticket.Principal.FindFirst("Microsoft.AspNetCore.Authentication.Cookies-SessionId")!.Value;
    }

    /// <summary>Cookie authentication (login page <see cref="LoginPage"/>), with tickets in Tessera unless told otherwise.</summary>
    /// <param name="services">The app's services.</param>
    /// <param name="cookie">Further cookie options, if any.</param>
    /// <param name="tesseraTickets">False: the stock cookie ticket (the whole ticket in the cookie), sessions untouched by sign-in.</param>
    public static void Add(IServiceCollection services, Action<CookieAuthenticationOptions>? cookie = null, bool tesseraTickets = true)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.LoginPath = LoginPage;
            cookie?.Invoke(o);
        });
        if (tesseraTickets)
        {
            services.AddTesseraTicketStore();
        }
    }

    /// <summary>
    /// <c>POST /auth/login?user=…[&amp;issuer=…]</c> signs the user in with a name identifier of that issuer
    /// (409 past a DenyNew limit); <c>POST /auth/logout</c> signs out; <c>GET /auth/me</c> names the
    /// signed-in user, else answers 401 <c>anonymous</c>.
    /// </summary>
    /// <param name="app">The app.</param>
    public static void Map(WebApplication app)
    {
        app.MapPost("/auth/login", async (HttpContext ctx, string user, string? issuer) =>
        {
            var claims = new[] { new Claim(ClaimTypes.NameIdentifier, user, ClaimValueTypes.String, issuer ?? ClaimsIdentity.DefaultIssuer), new Claim(ClaimTypes.Name, user) };
            try
            {
                await ctx.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme)));
            }
            catch (SessionLimitException ex)
            {
                return Results.Text(ex.Message, statusCode: StatusCodes.Status409Conflict);
            }

            return Results.Text("ok");
        });
        app.MapPost("/auth/logout", async (HttpContext ctx) =>
        {
            await ctx.SignOutAsync();
            return Results.Text("ok");
        });
        app.MapGet("/auth/me", async (HttpContext ctx) =>
        {
            var result = await ctx.AuthenticateAsync();
            return result.Succeeded ? Results.Text(result.Principal!.Identity!.Name!) : Results.Text("anonymous", statusCode: 401);
        });
    }

    /// <summary>Asserts a step-up challenge: a redirect to the login page returning to <paramref name="returnUrl"/>, with the reason header.</summary>
    /// <param name="response">The response.</param>
    /// <param name="returnUrl">The path and query the login should return to.</param>
    /// <param name="reason">The expected <c>Tessera-Step-Up</c> header.</param>
    public static void AssertStepUpChallenge(HttpResponseMessage response, string returnUrl, string reason)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(LoginPage, response.Headers.Location!.PathAndQuery);
        Assert.Contains("ReturnUrl=" + Uri.EscapeDataString(returnUrl), response.Headers.Location!.Query);
        Assert.Equal(reason, response.Headers.GetValues("Tessera-Step-Up").Single());
    }
}
