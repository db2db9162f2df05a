using System.Security.Cryptography;
using Tessera.AspNetCore;
using Tessera.Demo.Model;

namespace Tessera.Demo;

/// <summary>
/// The one-time code: a value with its own lifetime (<see cref="ITesseraSession.Set(string, byte[], TimeSpan)"/>:
/// its deadline travels in the value's header, so no server needs per-field expiry) that is used by taking it
/// (<see cref="ITesseraSession.TakeAsync"/>: read and removed in one step), so it works once, and not after a minute.
/// </summary>
internal static partial class DemoEndpoints
{
    /// <summary>How long a one-time code lives.</summary>
    internal static readonly TimeSpan CodeLifetime = TimeSpan.FromSeconds(60);

    private static void MapCode(WebApplication app)
    {
        app.MapPost("/code", HtmlPage(static ctx => PostAsync(ctx, "code", DemoPage.Home, NewCodeAsync)));
        app.MapPost("/code/use", HtmlPage(static ctx => PostAsync(ctx, "code-use", DemoPage.Home, UseCodeAsync)));
    }

    private static Task<PostResult> NewCodeAsync(HttpContext ctx, IFormCollection form)
    {
        var s = ctx.GetTesseraSession();
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        s.SetString(SessionReader.CodeKey, code, CodeLifetime);
        SetFlash(s, new Notice("success", $"Your one-time code is {code}. It lives {Format.Duration(CodeLifetime)} (its deadline is in the stored value's header: see what Redis holds) and works once.", Instance(ctx).Label));
        return Task.FromResult(PostResult.Redirect());
    }

    private static async Task<PostResult> UseCodeAsync(HttpContext ctx, IFormCollection form)
    {
        var typed = form["code"].ToString();
        if (typed.Length != 6 || !typed.All(char.IsAsciiDigit))
        {
            return PostResult.Refuse("code-use", "Enter the 6 digits of your one-time code.", typed.Length > 6 ? typed[..6] : typed);
        }

        var s = ctx.GetTesseraSession();
        var stored = await s.TakeStringAsync(SessionReader.CodeKey, ctx.RequestAborted);
        if (stored is null)
        {
            return PostResult.Refuse("code-use", $"No code to use: it expired ({Format.Duration(CodeLifetime)}) or was used already. Get a new one.", typed);
        }

        if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(stored), System.Text.Encoding.ASCII.GetBytes(typed)))
        {
            return PostResult.Refuse("code-use", "Wrong code. It is used up all the same (one try per code): get a new one.", typed);
        }

        SetFlash(s, new Notice("success", "Code accepted. It was taken from Redis in one step (read and removed by one script), so no other request can use it again.", Instance(ctx).Label));
        return PostResult.Redirect();
    }
}
