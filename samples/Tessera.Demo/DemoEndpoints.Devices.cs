using Tessera.AspNetCore;
using Tessera.Demo.Model;

namespace Tessera.Demo;

/// <summary>
/// "Your devices": the page, revoking one device by its handle, "log out my other devices", and the
/// step-up protected recovery codes.
/// </summary>
internal static partial class DemoEndpoints
{
    /// <summary>The step-up protected page.</summary>
    public const string RecoveryCodesPath = "/devices/recovery-codes";

    private static void MapDevices(WebApplication app, DemoSettings settings)
    {
        app.MapGet("/devices", HtmlPage(SignedInPage(DemoPage.Devices)));
        app.MapPost("/devices/revoke", HtmlPage(static ctx => PostAsync(ctx, "revoke", DemoPage.Devices, RevokeDeviceAsync)));
        app.MapPost("/devices/name", HtmlPage(static ctx => PostAsync(ctx, "name", DemoPage.Devices, NameDeviceAsync)));
        app.MapPost("/logout-others", HtmlPage(static ctx => PostAsync(ctx, "logout-others", DemoPage.Devices, LogoutOthersAsync)));

        // Step-up: a sign-in older than the limit is sent to /confirm (the default challenge) and back.
        app.MapGet(RecoveryCodesPath, HtmlPage(SignedInPage(DemoPage.RecoveryCodes))).RequireRecentAuthentication(settings.StepUpMaxAge);
    }

    /// <summary>A page for signed-in users only: anyone else is sent to log in (303). Whether it did.</summary>
    private static bool SentToLogin(HttpContext ctx, ITesseraSession s)
    {
        if (s.Exists && s.UserId is not null)
        {
            return false;
        }

        ctx.Response.StatusCode = StatusCodes.Status303SeeOther;
        ctx.Response.Headers.Location = "/?m=login";
        return true;
    }

    /// <summary>A page only a signed-in visitor sees (anyone else goes to log in), with its flash notice.</summary>
    private static RequestDelegate SignedInPage(DemoPage page) => async ctx =>
    {
        var s = ctx.GetTesseraSession();
        var notice = await TakeFlashAsync(ctx, s);
        if (SentToLogin(ctx, s))
        {
            return;
        }

        await WritePageAsync(ctx, page, StatusCodes.Status200OK, notice, error: null);
    };

    private static async Task<PostResult> RevokeDeviceAsync(HttpContext ctx, IFormCollection form)
    {
        var s = ctx.GetTesseraSession();
        await s.LoadAsync(ctx.RequestAborted);
        if (!s.Exists || s.UserId is null)
        {
            return PostResult.Refuse("revoke", "You are not logged in (your session may have expired or been revoked), so there is no device of yours to log out.");
        }

        var handle = form["handle"].ToString();
        if (!SessionIds.IsValid(handle))
        {
            return PostResult.Refuse("revoke", "Pick a device from the list: the form did not name one (a handle is 43 characters).");
        }

        // Only the user's own devices: a handle is no secret, so it must not be enough to log anyone out.
        var device = (await s.GetUserSessionsAsync(ctx.RequestAborted)).FirstOrDefault(d => string.Equals(d.Handle, handle, StringComparison.Ordinal));
        if (device is null)
        {
            return PostResult.Refuse("revoke", "That is not one of your devices (or it is already logged out): nothing was revoked.", status: StatusCodes.Status404NotFound);
        }

        if (device.IsCurrent)
        {
            await s.DestroyAsync(ctx.RequestAborted);
            return PostResult.Redirect("/?m=bye");
        }

        var revoked = await ctx.RequestServices.GetRequiredService<RedisSessionStore>().Users.RevokeByHandleAsync(handle, ctx.RequestAborted);
        SetFlash(s, revoked
            ? new Notice("success", $"Logged out the device {SessionReader.Prefix(handle)}: its next request, on any instance, finds no session.", Instance(ctx).Label)
            : new Notice("info", $"The device {SessionReader.Prefix(handle)} had already ended: nothing to log out.", Instance(ctx).Label));
        return PostResult.Redirect("/devices");
    }

    private static async Task<PostResult> NameDeviceAsync(HttpContext ctx, IFormCollection form)
    {
        var s = ctx.GetTesseraSession();
        await s.LoadAsync(ctx.RequestAborted);
        if (!s.Exists || s.UserId is null)
        {
            return PostResult.Refuse("name", "You are not logged in (your session may have expired or been revoked), so there is no device of yours to name.");
        }

        var handle = form["handle"].ToString();
        if (!SessionIds.IsValid(handle))
        {
            return PostResult.Refuse("name", "Pick a device from the list: the form did not name one (a handle is 43 characters).");
        }

        // Only the user's own devices (checked against the user index); the name is cleaned and bounded by Tessera.
        var name = form["name"].ToString();
        if (!await s.NameDeviceAsync(handle, name, ctx.RequestAborted))
        {
            return PostResult.Refuse("name", "That is not one of your devices (or it is already logged out): nothing was named.", status: StatusCodes.Status404NotFound);
        }

        var stored = DeviceText.Name(name);
        SetFlash(s, new Notice("success", stored is null ? $"Removed the name of {SessionReader.Prefix(handle)}." : $"Named {SessionReader.Prefix(handle)} \"{stored}\".", Instance(ctx).Label));
        return PostResult.Redirect("/devices");
    }

    private static async Task<PostResult> LogoutOthersAsync(HttpContext ctx, IFormCollection form)
    {
        var s = ctx.GetTesseraSession();
        await s.LoadAsync(ctx.RequestAborted);
        if (!s.Exists || s.UserId is null)
        {
            return PostResult.Refuse("logout-others", "You are not logged in (your session may have expired), so there are no devices to log out.");
        }

        var n = await s.RevokeOtherSessionsAsync(ctx.RequestAborted);
        SetFlash(s, new Notice("success", n == 1 ? "Logged out 1 other device." : $"Logged out {n} other devices.", Instance(ctx).Label));
        return PostResult.Redirect("/devices");
    }
}
