using Html = Tessera.Dashboard.Rendering.Html;
using HtmlBuilder = Tessera.Dashboard.Rendering.HtmlBuilder;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore;
using Tessera.Demo.Model;
using Tessera.Demo.Rendering;

namespace Tessera.Demo;

/// <summary>
/// The demo's page, its form posts (post/redirect/get, antiforgery-checked) and its JSON endpoints.
/// A refused form is answered 400 (409 for a conflict) with the page and a message by the form,
/// never a 500.
/// </summary>
internal static partial class DemoEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The app.</param>
    /// <param name="settings">The demo settings (the step-up age).</param>
    public static void Map(WebApplication app, DemoSettings settings)
    {
        app.MapGet("/", HtmlPage(PageAsync));
        app.MapPost("/login", HtmlPage(static ctx => PostAsync(ctx, "login", DemoPage.Home, LoginAsync)));
        app.MapPost("/count", HtmlPage(static ctx => PostAsync(ctx, "count", DemoPage.Home, CountAsync)));
        app.MapPost("/ttl", HtmlPage(static ctx => PostAsync(ctx, "ttl", DemoPage.Home, SetTtlAsync)));
        app.MapPost("/logout", HtmlPage(static ctx => PostAsync(ctx, "logout", DemoPage.Home, LogoutAsync)));
        MapCode(app);
        MapDevices(app, settings);
        MapStepUp(app);
        MapLive(app);
        app.MapGet("/api/session", ApiSessionAsync);
        // The countdown's poll reads the session without extending it; "Stay signed in" is an ordinary (sliding) endpoint.
        app.MapGet("/api/ttl", ApiTtlAsync).WithoutSessionSliding();
        app.MapPost("/api/stay", ApiStayAsync);
        app.MapHealthChecks("/healthz");
    }

    /// <summary>A page endpoint that answers an unreachable Redis with a page (503) rather than problem JSON.</summary>
    private static RequestDelegate HtmlPage(RequestDelegate handler) => async ctx =>
    {
        try
        {
            await handler(ctx);
        }
        catch (TesseraUnavailableException) when (!ctx.Response.HasStarted)
        {
            ctx.Response.Clear();
            ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            ctx.Response.Headers.RetryAfter = "1";
            ctx.Response.Headers.CacheControl = "no-store";
            ctx.Response.ContentType = "text/html; charset=utf-8";
            var page = Html.Of($"""
                <!doctype html><html lang="en"><meta charset="utf-8"><title>Session store unavailable</title>
                <h1>The session store is not answering</h1>
                <p>{Instance(ctx).Label} could not reach Redis in time. Nothing was lost on this side: reload in a moment, and the page works again as soon as Redis is back.</p>
                <p><a href="/">Reload</a></p></html>
                """);
            await ctx.Response.WriteAsync(page.Value);
        }
    };

    private static async Task PageAsync(HttpContext ctx)
    {
        var s = ctx.GetTesseraSession();
        var notice = await TakeFlashAsync(ctx, s);
        if (!s.Exists)
        {
            var cookie = ctx.RequestServices.GetRequiredService<IOptions<TesseraSessionOptions>>().Value.Cookie;
            var cookieName = cookie.Name!;
            if (ctx.Request.Query["m"] == "admin")
            {
                notice = new Notice("info", "The operators' dashboard at /admin needs a login: log in below (in the demo, every login is an operator), then open /admin.");
            }
            else if (ctx.Request.Query["m"] == "bye")
            {
                notice = new Notice("info", "You are logged out: the session was deleted from Redis at once, for every instance.");
            }
            else if (ctx.Request.Cookies.TryGetValue(cookieName, out var stale) && SessionIds.IsValid(stale))
            {
                notice = new Notice("warning", "Your session has ended: Redis no longer holds it. It expired, or it was logged out here or from another device.");
            }
            else if (ctx.Request.Query["m"] == "login")
            {
                notice = new Notice("info", "Log in first: that page is about your account.");
            }

            if (ctx.Request.Cookies.ContainsKey(cookieName))
            {
                // Said once: the stale cookie goes.
                ctx.Response.Cookies.Delete(cookieName, cookie.Build(ctx));
            }
        }

        await WritePageAsync(ctx, DemoPage.Home, StatusCodes.Status200OK, notice, error: null);
    }

    /// <summary>The one-time message a POST left for this page, taken (removed) as it is read.</summary>
    private static async Task<Notice?> TakeFlashAsync(HttpContext ctx, ITesseraSession s)
    {
        await s.LoadAsync(ctx.RequestAborted);
        if (!s.Exists || s.GetString(SessionReader.FlashKey) is not { } flash)
        {
            return null;
        }

        await s.RemoveNowAsync(SessionReader.FlashKey, ctx.RequestAborted);
        return ReadFlash(flash);
    }

    private static async Task PostAsync(HttpContext ctx, string form, DemoPage page, Func<HttpContext, IFormCollection, Task<PostResult>> action)
    {
        PostResult result;
        if (!ctx.Request.HasFormContentType)
        {
            result = PostResult.Refuse(form, "Send this form from the page: a form post (application/x-www-form-urlencoded) was expected.");
        }
        else
        {
            IFormCollection? fields = null;
            try
            {
                fields = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
            }
            catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
            {
                var status = ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
                result = PostResult.Refuse(form, $"The form could not be read ({ex.Message.TrimEnd('.')}). Send it from the page.", status: status);
                await WritePageAsync(ctx, page, result.Status, notice: null, result.Error, ReturnUrlOf(page, null));
                return;
            }

            var antiforgery = ctx.RequestServices.GetRequiredService<IAntiforgery>();
            try
            {
                await antiforgery.ValidateRequestAsync(ctx);
                result = await action(ctx, fields);
            }
            catch (AntiforgeryValidationException)
            {
                result = PostResult.Refuse(form, "This form is out of date or did not come from this page. Reload the page and try again.") with { ReturnUrl = ReturnUrlOf(page, fields) };
            }
        }

        if (result.RedirectTo is { } location)
        {
            ctx.Response.StatusCode = result.Status;
            ctx.Response.Headers.Location = location;
            return;
        }

        await WritePageAsync(ctx, page, result.Status, notice: null, result.Error, result.ReturnUrl ?? ReturnUrlOf(page, null));
    }

    private static async Task<PostResult> LoginAsync(HttpContext ctx, IFormCollection form)
    {
        var raw = form["username"].ToString();
        if (InputRules.CheckUsername(raw, out var user) is { } problem)
        {
            return PostResult.Refuse("login", problem, raw, field: "username");
        }

        var password = form["password"].ToString();
        if (InputRules.CheckPassword(password) is { } weak)
        {
            return PostResult.Refuse("login", weak, raw, field: "password");
        }

        var s = ctx.GetTesseraSession();
        await s.LoadAsync(ctx.RequestAborted);
        if (s.Exists && s.UserId is { } current && !string.Equals(current, user, StringComparison.Ordinal))
        {
            return PostResult.Refuse("login", $"You are logged in as {current}. Log out first to log in as someone else.", raw, StatusCodes.Status409Conflict);
        }

        if (await ctx.RequestServices.GetRequiredService<DemoAccounts>().SignInAsync(user, password) == AccountCheck.WrongPassword)
        {
            return PostResult.Refuse("login", $"That is not the password of {user}. (The first login with a name set its password; the demo keeps it a day.)", raw, field: "password");
        }

        var oldId = s.Exists ? SessionReader.Prefix(s.Id) : null;
        try
        {
            // The sign-in method is recorded on the device ("password" here; "passkey" or "google" elsewhere).
            await s.SignInWithAsync(user, "password", ctx.RequestAborted);
        }
        catch (SessionLimitException ex)
        {
            // DenyNew: nothing of the sign-in was kept; say what to do instead of a 500.
            return PostResult.Refuse(
                "login",
                $"{user} is already signed in on {ex.Limit} devices, the most this demo allows (MaxSessionsPerUser = {ex.Limit}, policy DenyNew). " +
                "Log out on one of them, or revoke one from its \"Your devices\" page, or wait until one has been idle for its timeout; then log in here.",
                raw,
                StatusCodes.Status409Conflict);
        }

        // The demo's stand-in for an identity provider: every demo login may open the dashboard.
        s.SetString(DemoOperatorAuthentication.RoleKey, DemoOperatorAuthentication.OperatorRole);
        var newId = SessionReader.Prefix(s.Id);
        SetFlash(s, new Notice("success", $"Logged in as {user}.", Instance(ctx).Label, oldId, newId));
        return PostResult.Redirect();
    }

    private static async Task<PostResult> CountAsync(HttpContext ctx, IFormCollection form)
    {
        var s = ctx.GetTesseraSession();
        var n = await s.IncrementAsync(SessionReader.CounterKey, cancellationToken: ctx.RequestAborted);
        SetFlash(s, new Notice("success", $"Counter incremented to {n} by one HINCRBY.", Instance(ctx).Label));
        return PostResult.Redirect();
    }

    private static async Task<PostResult> SetTtlAsync(HttpContext ctx, IFormCollection form)
    {
        var raw = form["preset"] is { Count: > 0 } preset ? preset.ToString() : form["idle"].ToString();
        if (InputRules.CheckIdleSeconds(raw, out var seconds) is { } problem)
        {
            return PostResult.Refuse("ttl", problem, raw);
        }

        var s = ctx.GetTesseraSession();
        await s.LoadAsync(ctx.RequestAborted);
        if (!s.Exists)
        {
            return PostResult.Refuse("ttl", "There is no session to change: it expired or was logged out. Log in or click the counter first.", raw);
        }

        var idle = TimeSpan.FromSeconds(seconds);
        s.SetTimeouts(idleTimeout: idle);
        SetFlash(s, new Notice("success", $"Idle timeout set to {Format.Duration(idle)}: make no request for {Format.Duration(idle)} and Redis deletes the session.", Instance(ctx).Label));
        return PostResult.Redirect();
    }

    private static async Task<PostResult> LogoutAsync(HttpContext ctx, IFormCollection form)
    {
        var s = ctx.GetTesseraSession();
        await s.LoadAsync(ctx.RequestAborted);
        if (s.Exists)
        {
            await s.DestroyAsync(ctx.RequestAborted);
        }

        return PostResult.Redirect("/?m=bye");
    }

    private static async Task ApiSessionAsync(HttpContext ctx)
    {
        var instance = Instance(ctx);
        var state = await ctx.RequestServices.GetRequiredService<SessionReader>().ReadAsync(ctx.GetTesseraSession(), ctx.RequestAborted);
        object? session = state is null ? null : new
        {
            id = state.IdPrefix,
            user = state.User,
            counter = state.Counter,
            idleTimeoutSeconds = state.Metadata?.IdleTimeout.TotalSeconds,
            ttlMs = state.Stored.TtlMs,
            created = state.Metadata?.Created,
            lastAccess = state.Metadata?.LastAccess,
            absoluteDeadline = state.Metadata?.AbsoluteDeadline,
            expiresAt = state.Metadata?.ExpiresAt,
            authenticatedAt = state.Metadata?.AuthenticatedAt,
            key = state.Stored.Key,
            bytes = state.Stored.TotalBytes,
            fields = state.Stored.Fields.Select(static f => new { field = f.Field, label = f.Label, metadata = f.IsMetadata, bytes = f.Bytes }),
            devices = state.Devices.Select(static d => new
            {
                handle = d.Handle,
                current = d.Current,
                created = d.Metadata.Created,
                authenticatedAt = d.Metadata.AuthenticatedAt,
                lastSeen = d.Metadata.LastAccess,
                expiresAt = d.Metadata.ExpiresAt,
                ip = d.Metadata.ClientIp,
                userAgent = d.Metadata.UserAgent,
                lastIp = d.Metadata.LastClientIp,
                lastUserAgent = d.Metadata.LastUserAgent,
                linked = d.Linked,
            }),
        };
        ctx.Response.Headers.CacheControl = "no-store";
        await ctx.Response.WriteAsJsonAsync(new { instance = instance.Name, port = instance.Port, session }, Json, ctx.RequestAborted);
    }

    /// <summary>The time left, read with the session on an endpoint that does not slide it: polling it never keeps a session alive.</summary>
    private static async Task ApiTtlAsync(HttpContext ctx)
    {
        var s = ctx.GetTesseraSession();
        await s.LoadAsync(ctx.RequestAborted);
        await WriteTimeLeftAsync(ctx, s);
    }

    /// <summary>"Stay signed in": an ordinary endpoint, so reading the session slides it; answers the new time left.</summary>
    private static async Task ApiStayAsync(HttpContext ctx)
    {
        if (!await ctx.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(ctx))
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            ctx.Response.Headers.CacheControl = "no-store";
            await ctx.Response.WriteAsJsonAsync(new { error = "This page is out of date: reload it." }, Json, ctx.RequestAborted);
            return;
        }

        var s = ctx.GetTesseraSession();
        await s.LoadAsync(ctx.RequestAborted);
        await WriteTimeLeftAsync(ctx, s);
    }

    private static async Task WriteTimeLeftAsync(HttpContext ctx, ITesseraSession s)
    {
        var left = s.TimeLeft;
        ctx.Response.Headers.CacheControl = "no-store";
        await ctx.Response.WriteAsJsonAsync(
            new
            {
                exists = left is not null,
                ttlMs = left is { } l ? (long)l.TotalMilliseconds : -2L,
                expiresAt = s.ExpiresAt,
                absoluteExpiresAt = s.AbsoluteExpiresAt,
                instance = Instance(ctx).Name,
            },
            Json,
            ctx.RequestAborted);
    }

    private static async Task WritePageAsync(HttpContext ctx, DemoPage page, int status, Notice? notice, FormError? error, string? returnUrl = null)
    {
        var services = ctx.RequestServices;
        var state = await services.GetRequiredService<SessionReader>().ReadAsync(ctx.GetTesseraSession(), ctx.RequestAborted);
        var tokens = services.GetRequiredService<IAntiforgery>().GetAndStoreTokens(ctx);
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var model = new PageModel
        {
            Page = page,
            Settings = services.GetRequiredService<DemoSettings>(),
            ReturnUrl = returnUrl,
            Instance = Instance(ctx),
            Instances = services.GetRequiredService<IReadOnlyList<InstanceInfo>>(),
            Session = state,
            Notice = notice,
            Error = error,
            AntiforgeryField = tokens.FormFieldName,
            AntiforgeryToken = tokens.RequestToken ?? string.Empty,
            Nonce = nonce,
            Now = services.GetRequiredService<TimeProvider>().GetUtcNow(),
        };
        var html = page switch
        {
            DemoPage.Devices => DevicesView.Render(model),
            DemoPage.Confirm => StepUpView.Confirm(model),
            DemoPage.RecoveryCodes => StepUpView.RecoveryCodes(model),
            _ => PageView.Render(model),
        };
        var response = ctx.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        await response.WriteAsync(html, ctx.RequestAborted);
    }

    private static InstanceInfo Instance(HttpContext ctx) => ctx.RequestServices.GetRequiredService<InstanceInfo>();

    private static void SetFlash(ITesseraSession s, Notice notice) =>
        s.SetString(SessionReader.FlashKey, JsonSerializer.Serialize(notice, Json));

    private static Notice? ReadFlash(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<Notice>(text, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
