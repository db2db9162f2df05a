using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore.OpenIdConnect;

/// <summary>
/// The back-channel logout endpoint: reads the form, validates the logout token
/// (<see cref="LogoutTokenValidator"/>), refuses a replayed <c>jti</c>, and ends the logins of the
/// provider session (<c>sid</c>, indexed by the ticket store at sign-in) or of the subject (<c>sub</c>).
/// Every answer carries <c>Cache-Control: no-store</c> (section 2.8): 200 when done, 400
/// <c>invalid_request</c> for a token that is not acceptable, 503 <c>temporarily_unavailable</c> when
/// Redis or the provider's configuration cannot be reached (the <c>jti</c> is given back, so the
/// provider's retry is accepted).
/// </summary>
internal sealed class BackChannelLogoutEndpoint(
    RedisSessionStore store,
    TesseraTicketStore tickets,
    OpenIdConnectOptions scheme,
    string schemeName,
    TesseraBackChannelLogoutOptions options,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>The largest request body read (a logout token is a few kilobytes).</summary>
    internal const int MaxBodyBytes = 64 * 1024;

    /// <summary>The longest <c>logout_token</c> accepted.</summary>
    internal const int MaxTokenLength = 16 * 1024;

    private readonly LogoutTokenValidator _validator = new(scheme, options, time, logger);

    /// <summary>Handles one request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task.</returns>
    public async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        var token = await ReadTokenAsync(context).ConfigureAwait(false);
        if (token is null)
        {
            await RefuseAsync(context, LogoutTokenRefusal.BadRequest).ConfigureAwait(false);
            return;
        }

        LogoutToken? valid;
        LogoutTokenRefusal refusal;
        try
        {
            (valid, refusal) = await _validator.ValidateAsync(token, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            // The provider's discovery document or JWKS could not be read: nothing says the token is bad.
            await UnavailableAsync(context, ex.Message).ConfigureAwait(false);
            return;
        }

        if (valid is null)
        {
            await RefuseAsync(context, refusal).ConfigureAwait(false);
            return;
        }

        var claimed = false;
        try
        {
            if (options.DetectReplay)
            {
                // Kept for as long as the token could be accepted: iat may be ClockSkew ahead and MaxTokenAge + ClockSkew behind.
                var lifetime = options.MaxTokenAge + options.ClockSkew + options.ClockSkew;
                claimed = await store.Users.ClaimOnceAsync("jti", valid.Issuer, valid.Jti!, lifetime, context.RequestAborted).ConfigureAwait(false);
                if (!claimed)
                {
                    await RefuseAsync(context, LogoutTokenRefusal.Replayed).ConfigureAwait(false);
                    return;
                }
            }

            int ended;
            string target;
            if (valid.Sid is { } sid)
            {
                ended = await store.Users.RevokeIdpSessionAsync(valid.Issuer, sid, context.RequestAborted).ConfigureAwait(false);
                target = "session";
            }
            else
            {
                var user = UserKeyOf(valid.Issuer, valid.Subject!);
                ended = user is null ? 0 : await store.Users.RevokeUserSessionsAsync(user, null, context.RequestAborted).ConfigureAwait(false);
                target = "subject";
            }

            BackChannelLogoutLog.LoggedOut(logger, valid.Issuer, ended, target);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
        catch (TesseraUnavailableException ex)
        {
            if (claimed)
            {
                try
                {
                    await store.Users.ReleaseOnceAsync("jti", valid.Issuer, valid.Jti!, CancellationToken.None).ConfigureAwait(false);
                }
                catch (TesseraUnavailableException)
                {
                    // The claim expires by itself; until then the provider's retry is refused as a replay.
                }
            }

            await UnavailableAsync(context, ex.Message).ConfigureAwait(false);
        }
    }

    /// <summary>The app's user key of a subject: the configured mapping, else the ticket store's, on a principal as the OIDC handler makes it.</summary>
    private string? UserKeyOf(string issuer, string subject)
    {
        if (options.SubjectUserKey is { } map)
        {
            var key = map(issuer, subject);
            return TesseraUserKey.IsUsable(key) ? key : null;
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, subject, ClaimValueTypes.String, issuer),
                new Claim("sub", subject, ClaimValueTypes.String, issuer),
            ],
            schemeName);
        return tickets.UserKeyOf(new ClaimsPrincipal(identity));
    }

    /// <summary>The one <c>logout_token</c> of a form POST of a sane size, or null.</summary>
    private static async Task<string?> ReadTokenAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method) || !request.HasFormContentType || request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException or InvalidOperationException)
        {
            return null;
        }

        return form.TryGetValue("logout_token", out var values) && values.Count == 1 && values[0] is { Length: > 0 and <= MaxTokenLength } token
            ? token
            : null;
    }

    private async Task RefuseAsync(HttpContext context, LogoutTokenRefusal refusal)
    {
        BackChannelLogoutLog.Refused(logger, refusal);
        await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_request", "The logout token is not acceptable.").ConfigureAwait(false);
    }

    private async Task UnavailableAsync(HttpContext context, string reason)
    {
        BackChannelLogoutLog.Unavailable(logger, reason);
        context.Response.Headers.RetryAfter = "5";
        await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "temporarily_unavailable", "The logout could not be done now; send it again.").ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string error, string description)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("error", error);
            writer.WriteString("error_description", description);
            writer.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted).ConfigureAwait(false);
    }
}
