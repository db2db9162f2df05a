using Tessera.AspNetCore;
using Tessera.Demo.Model;

namespace Tessera.Demo;

/// <summary>
/// The step-up confirmation: the password again, then back to the page that asked for it. Confirming
/// is a sign-in again (<c>SignInAsync</c>): a new session ID and a new "authenticated at".
/// </summary>
internal static partial class DemoEndpoints
{
    private static void MapStepUp(WebApplication app)
    {
        app.MapGet(DemoStepUpAuthentication.ConfirmPath, HtmlPage(ConfirmPageAsync));
        app.MapPost(DemoStepUpAuthentication.ConfirmPath, HtmlPage(static ctx => PostAsync(ctx, "confirm", DemoPage.Confirm, ConfirmAsync)));
    }

    /// <summary>The page to go back to: the form's or query's <c>returnUrl</c> when it is a local path, else the devices page.</summary>
    private static string? ReturnUrlOf(DemoPage page, IFormCollection? form) =>
        page == DemoPage.Confirm ? InputRules.LocalPath(form?["returnUrl"].ToString()) ?? "/devices" : null;

    private static async Task ConfirmPageAsync(HttpContext ctx)
    {
        var s = ctx.GetTesseraSession();
        var notice = await TakeFlashAsync(ctx, s);
        if (SentToLogin(ctx, s))
        {
            return;
        }

        var back = InputRules.LocalPath(ctx.Request.Query["returnUrl"].ToString()) ?? "/devices";
        await WritePageAsync(ctx, DemoPage.Confirm, StatusCodes.Status200OK, notice, error: null, back);
    }

    private static async Task<PostResult> ConfirmAsync(HttpContext ctx, IFormCollection form)
    {
        var back = ReturnUrlOf(DemoPage.Confirm, form);
        var s = ctx.GetTesseraSession();
        await s.LoadAsync(ctx.RequestAborted);
        if (!s.Exists || s.UserId is not { } user)
        {
            return PostResult.Redirect("/?m=login");
        }

        var password = form["password"].ToString();
        if (InputRules.CheckPassword(password) is { } problem)
        {
            return PostResult.Refuse("confirm", problem) with { ReturnUrl = back };
        }

        if (!await ctx.RequestServices.GetRequiredService<DemoAccounts>().VerifyAsync(user, password))
        {
            return PostResult.Refuse("confirm", $"That is not the password of {user}. Nothing was opened; try again.") with { ReturnUrl = back };
        }

        try
        {
            await s.SignInAsync(user, ctx.RequestAborted);
        }
        catch (SessionLimitException ex)
        {
            return PostResult.Refuse("confirm", $"The sign-in was refused: {ex.Message}") with { ReturnUrl = back };
        }

        var age = ctx.RequestServices.GetRequiredService<DemoSettings>().StepUpMaxAge;
        SetFlash(s, new Notice("success", $"Password confirmed: sensitive pages open without asking for the next {Format.Duration(age)}.", Instance(ctx).Label));
        return PostResult.Redirect(back!);
    }
}
