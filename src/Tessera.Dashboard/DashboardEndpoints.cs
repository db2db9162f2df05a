using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.Dashboard.Rendering;

namespace Tessera.Dashboard;

/// <summary>
/// The dashboard's pages (GET, read only) and actions (POST: antiforgery-checked, audit-logged, then
/// post/redirect/get). Bad input is a 400 page that says what was wrong; an unreachable Redis is a 503 page.
/// </summary>
internal static partial class DashboardEndpoints
{
    private const int MaxUserIdLength = Tessera.Internal.SessionLayout.MaxUserIdLength;

    public static void Map(RouteGroupBuilder group, string pattern)
    {
        var basePath = "/" + pattern.Trim('/');
        group.MapGet("/", Page(basePath, OverviewAsync));
        group.MapPost("/scan", Action(basePath, "full-scan", FullScanActionAsync));
        group.MapGet("/analytics", Page(basePath, AnalyticsAsync));
        group.MapGet("/users", Page(basePath, UsersAsync));
        group.MapPost("/users/revoke", Action(basePath, "revoke", RevokeAsync));
        group.MapPost("/users/revoke-all", Action(basePath, "revoke-all", RevokeAllAsync));
        group.MapGet("/audit", Page(basePath, AuditAsync));
        group.MapGet("/cleanup", Page(basePath, CleanupFormAsync));
        group.MapPost("/cleanup", Action(basePath, "cleanup", CleanupAsync));
        group.MapGet("/live", Page(basePath, LiveAsync));
    }

    /// <summary>What a handler answers: a page with a status, or a redirect.</summary>
    private sealed record Reply(int Status, string Heading, string Tab, Html Body, Notice? Notice = null, string? RedirectTo = null, int? Refresh = null)
    {
        public static Reply Redirect(string to) => new(StatusCodes.Status303SeeOther, string.Empty, string.Empty, Html.Empty, RedirectTo: to);

        public static Reply BadRequest(string tab, string heading, string message, Html? body = null) =>
            new(StatusCodes.Status400BadRequest, heading, tab, body ?? Html.Empty, new Notice("error", message));
    }

    private sealed record Context(HttpContext Http, string Base, DashboardState State, ILogger Logger)
    {
        public string Operator => Http.User.Identity?.Name is { Length: > 0 } name ? name : "anonymous";

        public CancellationToken Aborted => Http.RequestAborted;

        public Html Antiforgery()
        {
            var tokens = Http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(Http);
            return Html.Of($"<input type=\"hidden\" name=\"{tokens.FormFieldName}\" value=\"{tokens.RequestToken}\">");
        }
    }

    private static RequestDelegate Page(string basePath, Func<Context, Task<Reply>> handler) =>
        ctx => RunAsync(ctx, basePath, handler);

    private static RequestDelegate Action(string basePath, string name, Func<Context, IFormCollection, Task<Reply>> handler) => ctx =>
        RunAsync(ctx, basePath, async c =>
        {
            if (!ctx.Request.HasFormContentType)
            {
                DashboardLog.Refused(c.Logger, name, c.Operator, "not a form post");
                return Reply.BadRequest(string.Empty, "Refused", "Send this form from the dashboard page: a form post (application/x-www-form-urlencoded) was expected.");
            }

            try
            {
                await ctx.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(ctx).ConfigureAwait(false);
            }
            catch (AntiforgeryValidationException)
            {
                DashboardLog.Refused(c.Logger, name, c.Operator, "missing or invalid antiforgery token");
                return Reply.BadRequest(string.Empty, "Refused", "This form's security token is missing or out of date, so nothing was done. Reload the page and send it again.");
            }

            IFormCollection form;
            try
            {
                form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
            {
                DashboardLog.Refused(c.Logger, name, c.Operator, "unreadable form");
                return Reply.BadRequest(string.Empty, "Refused", "The form could not be read. Send it from the dashboard page.");
            }

            return await handler(c, form).ConfigureAwait(false);
        });

    private static async Task RunAsync(HttpContext ctx, string basePath, Func<Context, Task<Reply>> handler)
    {
        var state = ctx.RequestServices.GetRequiredService<DashboardState>();
        var logger = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tessera.Dashboard");
        var c = new Context(ctx, ctx.Request.PathBase + basePath, state, logger);
        Reply reply;
        try
        {
            reply = await handler(c).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ctx.Response.HasStarted && ex is TesseraUnavailableException or RedisConnectionException or RedisTimeoutException or TimeoutException)
        {
            reply = new Reply(StatusCodes.Status503ServiceUnavailable, "Redis is not answering", string.Empty, Html.Empty,
                new Notice("error", "The dashboard could not reach Redis in time. Nothing was changed. Reload in a moment."));
            ctx.Response.Headers.RetryAfter = "5";
        }
        catch (RedisServerException ex) when (!ctx.Response.HasStarted)
        {
            // Redis answered with an error (NOPERM for a Redis user without a right the page needs, for one).
            reply = new Reply(StatusCodes.Status502BadGateway, "Redis refused", string.Empty, Html.Empty,
                new Notice("error", "Redis refused what this page needs, so nothing was changed: " + ex.Message));
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var headers = ctx.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        if (reply.RedirectTo is { } to)
        {
            ctx.Response.StatusCode = reply.Status;
            headers.Location = to;
            return;
        }

        ctx.Response.StatusCode = reply.Status;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        var page = Layout.Page(c.Base, reply.Tab, state.Options.Title, reply.Heading, reply.Body, reply.Notice, reply.Refresh, ctx.User.Identity?.Name);
        await ctx.Response.WriteAsync(page.Value, ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A user id from a query string or form: 1 to 512 characters, no control characters; null when absent or blank.</summary>
    private static bool TryUser(string? raw, out string? user, out string? error)
    {
        user = null;
        error = null;
        if (string.IsNullOrWhiteSpace(raw))
        {
            return true;
        }

        if (raw.Length > MaxUserIdLength || raw.Any(char.IsControl))
        {
            error = $"A user id is 1 to {MaxUserIdLength} characters without control characters.";
            return false;
        }

        user = raw;
        return true;
    }

    private static bool IsTag(string? text) =>
        text is { Length: 8 } && text.All(static ch => ch is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>A TTL such as <c>90s</c>, <c>30m</c>, <c>1h</c>, <c>2d</c>: 1 second to 400 days.</summary>
    private static bool TryTtl(string? text, out TimeSpan ttl)
    {
        ttl = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 12)
        {
            return false;
        }

        text = text.Trim();
        var unit = text[^1];
        if (!long.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
        {
            return false;
        }

        TimeSpan? value = unit switch
        {
            's' when n <= 400L * 86400 => TimeSpan.FromSeconds(n),
            'm' when n <= 400L * 1440 => TimeSpan.FromMinutes(n),
            'h' when n <= 400L * 24 => TimeSpan.FromHours(n),
            'd' when n <= 400 => TimeSpan.FromDays(n),
            _ => null,
        };
        if (value is not { } v)
        {
            return false;
        }

        ttl = v;
        return true;
    }

    private static string Query(string basePath, string path, params (string Name, string Value)[] query) =>
        basePath + path + (query.Length == 0 ? string.Empty
            : "?" + string.Join('&', query.Select(static q => Uri.EscapeDataString(q.Name) + "=" + Uri.EscapeDataString(q.Value))));
}
