using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Tessera.Blazor.Tests.Components;

namespace Tessera.Blazor.Tests;

/// <summary>
/// A Blazor Server app on a loopback port (Kestrel): cookie logins in Tessera's ticket store, one
/// interactive component that shows its circuit's user, and <c>AddTesseraBlazorRevalidation()</c>.
/// </summary>
public sealed class BlazorApp : IAsyncDisposable
{
    private BlazorApp(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
    }

    /// <summary>The running app.</summary>
    public WebApplication App { get; }

    /// <summary>Its base address.</summary>
    public Uri Address { get; }

    /// <summary>Its store.</summary>
    public RedisSessionStore Store => App.Services.GetRequiredService<RedisSessionStore>();

    /// <summary>Starts the app.</summary>
    /// <param name="redis">host:port.</param>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="interval">The circuits' re-check interval (default 1 s).</param>
    /// <returns>The app.</returns>
    public static async Task<BlazorApp> StartAsync(string redis, string prefix, TimeSpan? interval = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = typeof(BlazorApp).Assembly.GetName().Name, EnvironmentName = "Development" });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        builder.Services.AddAuthorization();
        builder.Services.AddTessera(o =>
        {
            o.Configuration = redis;
            o.KeyPrefix = prefix;
        });
        builder.Services.AddTesseraTicketStore();
        builder.Services.AddTesseraBlazorRevalidation(o => o.Interval = interval ?? TimeSpan.FromSeconds(1));
        var app = builder.Build();
        app.UseTessera();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapGet("/auth/login", async (HttpContext ctx, string user) =>
        {
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Name, user)], CookieAuthenticationDefaults.AuthenticationScheme);
            await ctx.SignInAsync(new ClaimsPrincipal(identity));
            return Results.Redirect("/");
        });
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BlazorApp(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
