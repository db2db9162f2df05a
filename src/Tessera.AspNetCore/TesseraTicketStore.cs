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
/// so "log out everywhere" and the CLI's <c>user revoke-all</c> end logins too. Its absolute deadline
/// is the ticket's expiry. The session the same browser signed in with is linked to the login: the
/// two are one device (listed once, revoked together), and the login counts once against
/// <see cref="TesseraOptions.MaxSessionsPerUser"/>.
/// </summary>
public sealed class TesseraTicketStore : ITicketStore
{
    /// <summary>The authentication property that carries when the user authenticated (Unix ms), for step-up checks.</summary>
    public const string AuthenticatedAtItem = ".tessera.authenticated";

    /// <summary>The request item set while a cookie sign-in is under way (a renewal then is a re-authentication).</summary>
    internal const string SigningInItem = "Tessera.SigningIn";

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

        var changes = new SessionChanges();
        changes.Set(TicketField, Serialize(ticket));
        // The handler renews the same key when another user signs in on this browser (aspnetcore#22135):
        // the login then belongs to the new user, in the new user's index only.
        var before = (await _store.LoadAsync(key, cancellationToken).ConfigureAwait(false)).Record;
        var user = UserKeyOf(ticket.Principal);
        var signingIn = httpContext?.Items.ContainsKey(SigningInItem) == true;
        var write = new SessionWrite { AbsoluteDeadline = Deadline(ticket, _store.Time), IdleTimeout = Lifetime(ticket), UserId = user };
        if (signingIn)
        {
            // A sign-in on a browser that has a login renews it: that is a re-authentication.
            write.AuthenticatedAt = DateTimeOffset.MinValue;
        }

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

        if (signingIn)
        {
            await LinkAsync(httpContext, user, key, cancellationToken).ConfigureAwait(false);
            await IndexIdpSessionAsync(ticket, key, write.AbsoluteDeadline ?? before.Metadata.AbsoluteDeadline, cancellationToken).ConfigureAwait(false);
        }
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

/// <summary>Points the login schemes' cookie authentication at <see cref="TesseraTicketStore"/> (<see cref="TesseraAuthenticationOptions.LoginSchemes"/>).</summary>
internal sealed class TesseraTicketStoreSetup(TesseraTicketStore store, IOptions<TesseraAuthenticationOptions> settings) : IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        if (settings.Value.IsLoginScheme(name))
        {
            options.SessionStore ??= store;
        }
    }
}
