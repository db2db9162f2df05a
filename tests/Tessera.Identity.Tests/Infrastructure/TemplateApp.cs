using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore;

namespace Tessera.Identity.Tests;

/// <summary>
/// An app shaped like <c>dotnet new webapp --auth Individual</c> (Identity on EF Core + SQLite, the
/// default Identity UI Razor Pages, antiforgery) with an MVC controller on the session TempData
/// provider, on a real redis-server, changed only where the docs say. A guest's cart is a session value.
/// </summary>
public sealed class TemplateApp : IAsyncDisposable
{
    /// <summary>The password every seeded user has.</summary>
    public const string Password = "Passw0rd!long";

    private static readonly Uri Https = new("https://localhost/");
    private readonly DirectoryInfo _directory;

    private TemplateApp(WebApplication app, DirectoryInfo directory)
    {
        App = app;
        _directory = directory;
    }

    /// <summary>The running app.</summary>
    public WebApplication App { get; }

    /// <summary>The app's session store.</summary>
    public RedisSessionStore Store => App.Services.GetRequiredService<RedisSessionStore>();

    /// <summary>Starts the app.</summary>
    /// <param name="redis">host:port.</param>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="wiring">How Tessera is tied in.</param>
    /// <param name="configure">More Tessera options.</param>
    /// <returns>The app.</returns>
    public static async Task<TemplateApp> StartAsync(string redis, string prefix, Wiring wiring, Action<TesseraSessionOptions>? configure = null)
    {
        var directory = Directory.CreateTempSubdirectory("tessera-identity-");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(TemplateApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();

        // As the template: EF Core on SQLite, default Identity with its UI, Razor Pages.
        var connectionString = $"Data Source={Path.Combine(directory.FullName, "app.db")}";
        builder.Services.AddDbContext<AppDbContext>(options => options.UseSqlite(connectionString));
        var identity = builder.Services.AddDefaultIdentity<IdentityUser>(options => options.SignIn.RequireConfirmedAccount = true)
            .AddEntityFrameworkStores<AppDbContext>();
        builder.Services.AddRazorPages().AddTesseraTempData();
        builder.Services.AddControllersWithViews().AddTesseraTempData();

        // What the docs add.
        builder.Services.AddTessera(o =>
        {
            o.Configuration = redis;
            o.KeyPrefix = prefix;
            configure?.Invoke(o);
        });
        if (wiring == Wiring.Identity)
        {
            identity.AddTesseraIdentity();
        }
        else
        {
            builder.Services.AddTesseraTicketStore();
        }

        var app = builder.Build();
        using (var scope = app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<AppDbContext>().Database.EnsureCreatedAsync();
        }

        app.UseRouting();
        app.UseTessera();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapControllers();
        MapCart(app);
        await app.StartAsync();
        return new TemplateApp(app, directory);
    }

    /// <summary>A browser with its own cookie jar (or a copied one).</summary>
    /// <param name="cookies">A copied jar, or null.</param>
    /// <returns>The browser.</returns>
    public Browser CreateBrowser(System.Net.CookieContainer? cookies = null) => new(App.GetTestServer().CreateHandler(), Https, cookies);

    /// <summary>Creates a confirmed user (as registering and confirming the e-mail would).</summary>
    /// <param name="email">The e-mail, also the user name.</param>
    /// <returns>The user's id.</returns>
    public async Task<string> CreateUserAsync(string email)
    {
        using var scope = App.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = new IdentityUser { UserName = email, Email = email, EmailConfirmed = true };
        var result = await users.CreateAsync(user, Password);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
        return user.Id;
    }

    /// <summary>Turns on two-factor authentication with an authenticator app for a user.</summary>
    /// <param name="email">The user.</param>
    /// <returns>Recovery codes for the second step.</returns>
    public async Task<List<string>> EnableTwoFactorAsync(string email)
    {
        using var scope = App.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = (await users.FindByEmailAsync(email))!;
        await users.ResetAuthenticatorKeyAsync(user);
        await users.SetTwoFactorEnabledAsync(user, true);
        return [.. (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 5))!];
    }

    /// <summary>Runs an action on the app's user manager in a scope of its own (an admin's action, no request).</summary>
    /// <param name="action">The action.</param>
    /// <returns>A task.</returns>
    public async Task WithUsersAsync(Func<UserManager<IdentityUser>, Task> action)
    {
        using var scope = App.Services.CreateScope();
        await action(scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>());
    }

    /// <summary>The Tessera user key of an Identity user (its id, issued locally).</summary>
    /// <param name="userId">The user's id.</param>
    /// <returns>The key.</returns>
    public static string UserKey(string userId) =>
        TesseraUserKey.FromPrincipal(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, userId)], "test")))!;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }

    /// <summary>A guest's cart: <c>POST /cart/add?item=</c>, <c>GET /cart</c>.</summary>
    private static void MapCart(WebApplication app)
    {
        app.MapPost("/cart/add", async (HttpContext ctx, string item) =>
        {
            await ctx.Session.LoadAsync();
            var cart = ctx.Session.GetString("cart");
            cart = cart is null ? item : cart + "," + item;
            ctx.Session.SetString("cart", cart);
            return Results.Text(cart.Split(',').Length.ToString(CultureInfo.InvariantCulture));
        });
        app.MapGet("/cart", async (HttpContext ctx) =>
        {
            await ctx.Session.LoadAsync();
            return Results.Text(ctx.Session.GetString("cart") ?? string.Empty);
        });
    }
}
