using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>
/// Keeps cookie-authentication tickets in Redis, so the auth cookie carries only an id and a login
/// can be revoked server-side. Each ticket is a Tessera session bound to its user (the
/// <c>NameIdentifier</c> claim qualified by its issuer, or <see cref="TesseraAuthenticationOptions.UserKeySelector"/>),
/// so "log out everywhere" and the CLI's <c>user revoke-all</c> end logins too. It lives as long as the
/// ticket: its deadline is the ticket's expiry, which a sliding renewal moves each time (no absolute cap
/// beyond what the cookie handler enforces). Every sign-in stores a new login under a new key, even on a
/// browser that still sends a valid login cookie; that old login ends (no login fixation, and a cookie
/// copied before a re-authentication stops working). The session the same browser signed in with is
/// linked to the login: the two are one device (listed once, revoked together), and the login counts
/// once against <see cref="TesseraOptions.MaxSessionsPerUser"/>.
/// </summary>
public sealed class TesseraTicketStore : ITicketStore
{
    /// <summary>The authentication property that carries when the user authenticated (Unix ms), for step-up checks.</summary>
    public const string AuthenticatedAtItem = ".tessera.authenticated";

    /// <summary>The request item set while a cookie sign-in is under way: the scheme signing in (its renewal then is a new login).</summary>
    internal const string SigningInItem = "Tessera.SigningIn";

    /// <summary>The request item that carries the login a sign-in stored in place of the one the browser sent, until its cookie is written.</summary>
    internal const string ReissuedItem = "Tessera.ReissuedLogin";

    /// <summary>The request item that names the login (ticket id) this request authenticated with or signed in as.</summary>
    internal const string LoginIdItem = "Tessera.LoginId";

    private const string TicketField = "ticket";
    private readonly RedisSessionStore _store;
    private readonly Func<System.Security.Claims.ClaimsPrincipal, string?> _userKey;
    private readonly TicketSerializer _serializer = TicketSerializer.Default;

    /// <summary>Creates the ticket store with the default user key.</summary>
    /// <param name="store">The session store.</param>
    public TesseraTicketStore(RedisSessionStore store)
        : this(store, Options.Create(new TesseraAuthenticationOptions()))
    {
    }

    /// <summary>Creates the ticket store.</summary>
    /// <param name="store">The session store.</param>
    /// <param name="options">How logins are keyed.</param>
    public TesseraTicketStore(RedisSessionStore store, IOptions<TesseraAuthenticationOptions> options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _userKey = options.Value.UserKeySelector ?? TesseraUserKey.FromPrincipal;
    }

    /// <summary>The user key a principal's logins are indexed under.</summary>
    /// <param name="principal">The principal.</param>
    /// <returns>The key, or null.</returns>
    public string? UserKeyOf(System.Security.Claims.ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var key = _userKey(principal);
        return TesseraUserKey.IsUsable(key) ? key : null;
    }

    /// <inheritdoc/>
    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, null, CancellationToken.None);

    /// <inheritdoc/>
    public Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken) => StoreAsync(ticket, null, cancellationToken);

    /// <inheritdoc/>
    public async Task<string> StoreAsync(AuthenticationTicket ticket, HttpContext? httpContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var changes = new SessionChanges();
        changes.Set(TicketField, Serialize(ticket));
        var user = UserKeyOf(ticket.Principal);
        var write = new SessionWrite
        {
            UserId = user,
            AbsoluteDeadline = Deadline(ticket, _store.Time),
            IdleTimeout = Lifetime(ticket),
            AuthenticatedAt = DateTimeOffset.MinValue,
            ClientIp = httpContext is null ? null : ClientBinding.AddressOf(httpContext),
            UserAgent = httpContext is null ? null : ClientBinding.Normalize(httpContext.Request.Headers.UserAgent),
        };
        for (var attempt = 0; ; attempt++)
        {
            var id = SessionIds.NewId();
            CommitResult result;
            try
            {
                result = await _store.CreateAsync(id, changes, write, cancellationToken).ConfigureAwait(false);
            }
            catch (SessionLimitException)
            {
                // The login is refused (DenyNew): the session signed in for it must not stay the user's either.
                await EndSessionOfAsync(httpContext, user, cancellationToken).ConfigureAwait(false);
                throw;
            }

            if (result.Status == CommitStatus.Committed)
            {
                httpContext?.Items[LoginIdItem] = id;
                await LinkAsync(httpContext, user, id, cancellationToken).ConfigureAwait(false);
                await IndexIdpSessionAsync(ticket, id, write.AbsoluteDeadline, cancellationToken).ConfigureAwait(false);
                return id;
            }

            if (result.Status == CommitStatus.Revoked)
            {
                throw new InvalidOperationException("The sign-in raced a \"log out everywhere\" of its user and was ended: sign in again.");
            }

            if (result.Status != CommitStatus.Conflict || attempt > 2)
            {
                throw new InvalidOperationException($"The authentication ticket could not be stored ({result.Status}).");
            }
        }
    }

    /// <inheritdoc/>
    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, null, CancellationToken.None);

    /// <inheritdoc/>
    public Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken) => RenewAsync(key, ticket, null, cancellationToken);

    /// <inheritdoc/>
    public async Task RenewAsync(string key, AuthenticationTicket ticket, HttpContext? httpContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (!SessionIds.IsValid(key))
        {
            return;
        }

        if (httpContext is not null && IsSigningIn(httpContext, ticket))
        {
            await ReissueAsync(key, ticket, httpContext, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A sliding refresh (or a principal replaced by validation): the login keeps its key.
        var changes = new SessionChanges();
        changes.Set(TicketField, Serialize(ticket));
        var before = (await _store.LoadAsync(key, cancellationToken).ConfigureAwait(false)).Record;
        var user = UserKeyOf(ticket.Principal);
        var write = new SessionWrite { AbsoluteDeadline = Deadline(ticket, _store.Time), IdleTimeout = Lifetime(ticket), UserId = user };

        // Conditional like every commit: a revoked login is never brought back by a renewal.
        var result = await _store.CommitAsync(key, changes, write, followRotation: false, cancellationToken).ConfigureAwait(false);
        if (result.Status != CommitStatus.Committed || before is null)
        {
            return;
        }

        // The index entry moves with the renewal: its score is the login's new deadline, so it stays
        // listed (and revocable) for as long as the cookie authenticates.
        if (user is not null)
        {
            try
            {
                await _store.Users.IndexAsync(user, key, null, write.AbsoluteDeadline ?? before.Metadata.AbsoluteDeadline, cancellationToken).ConfigureAwait(false);
            }
            catch (SessionLimitException)
            {
                // Moved to a user with no room left (DenyNew): the login ends rather than live unindexed.
                await _store.DestroyAsync(key, user, cancellationToken).ConfigureAwait(false);
                await EndSessionOfAsync(httpContext, user, cancellationToken).ConfigureAwait(false);
                throw;
            }
        }

        if (before.Metadata.UserId is { } previous && previous != user)
        {
            await _store.Users.UnindexAsync(previous, key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether this renewal is the sign-in of the ticket's scheme (marked by its <c>OnSigningIn</c>), not a sliding refresh.</summary>
    private static bool IsSigningIn(HttpContext httpContext, AuthenticationTicket ticket) =>
        httpContext.Items.TryGetValue(SigningInItem, out var scheme) && scheme is string name && name == ticket.AuthenticationScheme;

    /// <summary>
    /// A sign-in on a browser that sends a valid login cookie: the handler renews that login's key rather
    /// than store a new one (aspnetcore#22135). Keeping the key would let whoever knows it (an attacker who
    /// planted his own login cookie, a copy taken before this re-authentication) share the new login. So
    /// the old login ends, whoever's it was, and the ticket is stored as a new login; the cookie handler
    /// still writes the old key, which <see cref="TesseraLoginCookieManager"/> replaces with the new one.
    /// </summary>
    private async Task ReissueAsync(string key, AuthenticationTicket ticket, HttpContext httpContext, CancellationToken cancellationToken)
    {
        // Ended first: a login at its user's DenyNew limit is not refused for the login it replaces.
        await _store.DestroyAsync(key, null, cancellationToken).ConfigureAwait(false);

        // A second sign-in in the same request renews the same old key again: the login the first one
        // stored is replaced too, not left behind.
        if (httpContext.Items.TryGetValue(ReissuedItem, out var earlier) && earlier is ReissuedLogin first
            && first.Scheme == ticket.AuthenticationScheme && first.Replaced == key && SessionIds.IsValid(first.Key))
        {
            await _store.DestroyAsync(first.Key, null, cancellationToken).ConfigureAwait(false);
        }

        var fresh = await StoreAsync(ticket, httpContext, cancellationToken).ConfigureAwait(false);
        httpContext.Items[ReissuedItem] = new ReissuedLogin(ticket.AuthenticationScheme, key, fresh);
    }

    /// <inheritdoc/>
    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, null, CancellationToken.None);

    /// <inheritdoc/>
    public Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken) => RetrieveAsync(key, null, cancellationToken);

    /// <inheritdoc/>
    public async Task<AuthenticationTicket?> RetrieveAsync(string key, HttpContext? httpContext, CancellationToken cancellationToken)
    {
        if (!SessionIds.IsValid(key))
        {
            return null;
        }

        // The client is recorded as the device's last seen with the sliding refresh, when it is due.
        var client = httpContext is null ? null : new FixedClientSource(ClientBinding.Describe(httpContext));
        var result = await _store.LoadAsync(key, client, cancellationToken).ConfigureAwait(false);
        if (result.Record is not { } record || !record.Values.TryGetValue(TicketField, out var bytes))
        {
            return null;
        }

        AuthenticationTicket? ticket;
        try
        {
            ticket = _serializer.Deserialize(bytes);
        }
        catch (Exception ex) when (ex is FormatException or EndOfStreamException or ArgumentException or InvalidOperationException)
        {
            return null;
        }

        if (ticket is not null)
        {
            httpContext?.Items[LoginIdItem] = key;

            // A live connection opened with this cookie (SignalR, a Blazor Server circuit) keeps the
            // principal, not the request: the claim tells its re-checks which login to look for.
            TesseraClaims.MarkLogin(ticket.Principal, key);
        }

        if (ticket is not null && record.Metadata.AuthenticatedAt is { } at)
        {
            ticket.Properties.Items[AuthenticatedAtItem] = at.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return ticket;
    }

    /// <inheritdoc/>
    public Task RemoveAsync(string key) => RemoveAsync(key, null, CancellationToken.None);

    /// <inheritdoc/>
    public Task RemoveAsync(string key, CancellationToken cancellationToken) => RemoveAsync(key, null, cancellationToken);

    /// <inheritdoc/>
    public async Task RemoveAsync(string key, HttpContext? httpContext, CancellationToken cancellationToken)
    {
        if (SessionIds.IsValid(key))
        {
            await _store.DestroyAsync(key, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The ticket as stored: without the login claim that retrieval adds (or a provider planted).</summary>
    private byte[] Serialize(AuthenticationTicket ticket)
    {
        if (!ticket.Principal.HasClaim(static c => c.Type == TesseraClaims.Login))
        {
            return _serializer.Serialize(ticket);
        }

        var principal = ticket.Principal.Clone();
        TesseraClaims.StripLogin(principal);
        return _serializer.Serialize(new AuthenticationTicket(principal, ticket.Properties, ticket.AuthenticationScheme));
    }

    /// <summary>
    /// Records the identity provider session (OpenID Connect <c>sid</c> and its issuer) a login was signed
    /// in with, so a back-channel logout for it finds the login: one script on one key, only for a
    /// principal that has the claim, for as long as the login lives.
    /// </summary>
    private async Task IndexIdpSessionAsync(AuthenticationTicket ticket, string loginId, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        if (TesseraClaims.IdpSessionOf(ticket.Principal) is { } idp)
        {
            var until = deadline ?? ticket.Properties.ExpiresUtc ?? _store.Time.GetUtcNow() + TimeSpan.FromDays(1);
            await _store.Users.IndexIdpSessionAsync(idp.Issuer, idp.Sid, loginId, until, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Links the request's session (signed in as the same user) to the login: one device.</summary>
    private static async Task LinkAsync(HttpContext? httpContext, string? user, string loginId, CancellationToken cancellationToken)
    {
        if (user is not null && httpContext?.Features.Get<ISessionFeature>()?.Session is TesseraSession session)
        {
            await session.LinkLoginAsync(user, SessionIds.Handle(loginId), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task EndSessionOfAsync(HttpContext? httpContext, string? user, CancellationToken cancellationToken)
    {
        if (user is not null && httpContext?.Features.Get<ISessionFeature>()?.Session is TesseraSession { UserId: { } bound } session && bound == user)
        {
            await session.DestroyAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The login's deadline to the millisecond: the ticket's own times are kept to the second, which
    /// would tie logins of one second in the index (and make "evict the oldest" pick at random).
    /// Never before the ticket's expiry; the cookie handler enforces that one itself.
    /// </summary>
    private static DateTimeOffset? Deadline(AuthenticationTicket ticket, TimeProvider time) =>
        Lifetime(ticket) is { } lifetime ? time.GetUtcNow() + lifetime : ticket.Properties.ExpiresUtc;

    private static TimeSpan? Lifetime(AuthenticationTicket ticket) =>
        ticket.Properties.ExpiresUtc is { } expires && ticket.Properties.IssuedUtc is { } issued && expires > issued
            ? expires - issued
            : null;
}

/// <summary>The login a sign-in stored (<see cref="Key"/>) in place of the one the browser sent (<see cref="Replaced"/>), and whether its cookie was written.</summary>
internal sealed record ReissuedLogin(string Scheme, string Replaced, string Key, bool Written = false);

/// <summary>
/// Points the login schemes' cookie authentication at <see cref="TesseraTicketStore"/> (<see cref="TesseraAuthenticationOptions.LoginSchemes"/>),
/// marks their sign-ins (so the store gives each a new login) and lets <see cref="TesseraLoginCookieManager"/>
/// write the new login's key into the cookie.
/// </summary>
internal sealed class TesseraTicketStoreSetup(TesseraTicketStore store, IOptions<TesseraAuthenticationOptions> settings) : IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        if (!settings.Value.IsLoginScheme(name))
        {
            return;
        }

        options.SessionStore ??= store;
        if (options.SessionStore is not TesseraTicketStore || name is null)
        {
            return;
        }

        if (options.CookieManager is not TesseraLoginCookieManager)
        {
            // The app's own cookie manager (set when configured) is kept, inside.
            options.CookieManager = new TesseraLoginCookieManager(options.CookieManager ?? new ChunkingCookieManager(), name, options);
        }

        // Chained after the app's own handler. An app that sets EventsType, or overrides SigningIn without
        // calling the base, bypasses these delegates (and the session rotation's): documented in security.md.
        options.Events ??= new CookieAuthenticationEvents();
        var previous = options.Events.OnSigningIn;
        options.Events.OnSigningIn = async context =>
        {
            await previous(context).ConfigureAwait(false);
            if (context.Options.SessionStore is not TesseraTicketStore)
            {
                return;
            }

            if (context.Options.CookieManager is not TesseraLoginCookieManager)
            {
                // Without it a re-sign-in's cookie would name the login just ended: fail loudly, not log out silently.
                throw new InvalidOperationException(
                    $"The cookie scheme '{context.Scheme.Name}' keeps its tickets in Tessera but its CookieManager is not Tessera's wrapper: it (or the SessionStore) was set after AddTesseraTicketStore's post-configuration. Set the CookieManager in AddCookie's options; Tessera wraps it.");
            }

            context.HttpContext.Items[TesseraTicketStore.SigningInItem] = context.Scheme.Name;
        };
    }
}

/// <summary>
/// The login cookie's manager (wrapping the scheme's own): when a sign-in replaced the browser's login
/// with a new one (<see cref="ReissuedLogin"/>), the cookie the handler writes, which names the old
/// key, is written naming the new key instead, with the handler's cookie options (path, domain,
/// expiry of a persistent login). Everything else passes through unchanged.
/// </summary>
internal sealed class TesseraLoginCookieManager(ICookieManager inner, string scheme, CookieAuthenticationOptions authentication) : ICookieManager
{
    /// <summary>The claim the cookie handler keeps the ticket store's key in.</summary>
    private const string SessionIdClaim = "Microsoft.AspNetCore.Authentication.Cookies-SessionId";

    public string? GetRequestCookie(HttpContext context, string key) => inner.GetRequestCookie(context, key);

    public void AppendResponseCookie(HttpContext context, string key, string? value, CookieOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (key == authentication.Cookie.Name
            && context.Items.TryGetValue(TesseraTicketStore.ReissuedItem, out var item) && item is ReissuedLogin { Written: false } reissued && reissued.Scheme == scheme)
        {
            // The handler renewed (and now writes) the old key: this is the cookie of that sign-in.
            context.Items[TesseraTicketStore.ReissuedItem] = reissued with { Written = true };
            value = Protect(context, reissued.Key);
        }

        inner.AppendResponseCookie(context, key, value, options);
    }

    public void DeleteCookie(HttpContext context, string key, CookieOptions options) => inner.DeleteCookie(context, key, options);

    /// <summary>The cookie value the handler would have written for <paramref name="loginKey"/>.</summary>
    private string Protect(HttpContext context, string loginKey)
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(SessionIdClaim, loginKey, ClaimValueTypes.String, authentication.ClaimsIssuer)], authentication.ClaimsIssuer));
        var binding = context.Features.Get<ITlsTokenBindingFeature>()?.GetProvidedTokenBindingId();
        return authentication.TicketDataFormat.Protect(new AuthenticationTicket(principal, null, scheme), binding is null ? null : Convert.ToBase64String(binding));
    }
}
