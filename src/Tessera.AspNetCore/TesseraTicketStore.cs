using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>
/// Keeps cookie-authentication tickets in Redis, so the auth cookie carries only an id and a login
/// can be revoked server-side. Each ticket is a Tessera session bound to its user (the
/// <c>NameIdentifier</c> claim, else the name), so "log out everywhere" and the CLI's
/// <c>user revoke-all</c> end logins too. Its absolute deadline is the ticket's expiry.
/// </summary>
public sealed class TesseraTicketStore : ITicketStore
{
    private const string TicketField = "ticket";
    private readonly RedisSessionStore _store;
    private readonly TicketSerializer _serializer = TicketSerializer.Default;

    /// <summary>Creates the ticket store.</summary>
    /// <param name="store">The session store.</param>
    public TesseraTicketStore(RedisSessionStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <inheritdoc/>
    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    /// <inheritdoc/>
    public async Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var changes = new SessionChanges();
        changes.Set(TicketField, _serializer.Serialize(ticket));
        var write = new SessionWrite
        {
            UserId = UserOf(ticket),
            AbsoluteDeadline = ticket.Properties.ExpiresUtc,
            IdleTimeout = Lifetime(ticket),
        };
        for (var attempt = 0; ; attempt++)
        {
            var id = SessionIds.NewId();
            var result = await _store.CreateAsync(id, changes, write, cancellationToken).ConfigureAwait(false);
            if (result.Status == CommitStatus.Committed)
            {
                return id;
            }

            if (result.Status != CommitStatus.Conflict || attempt > 2)
            {
                throw new InvalidOperationException($"The authentication ticket could not be stored ({result.Status}).");
            }
        }
    }

    /// <inheritdoc/>
    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, CancellationToken.None);

    /// <inheritdoc/>
    public async Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (!SessionIds.IsValid(key))
        {
            return;
        }

        var changes = new SessionChanges();
        changes.Set(TicketField, _serializer.Serialize(ticket));
        // The handler renews the same key when another user signs in on this browser (aspnetcore#22135):
        // the login then belongs to the new user, in the new user's index only.
        var before = (await _store.LoadAsync(key, cancellationToken).ConfigureAwait(false)).Record;
        var user = UserOf(ticket);
        var write = new SessionWrite { AbsoluteDeadline = ticket.Properties.ExpiresUtc, IdleTimeout = Lifetime(ticket), UserId = user };
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
            await _store.IndexAsync(user, key, null, ticket.Properties.ExpiresUtc ?? before.Metadata.AbsoluteDeadline, cancellationToken).ConfigureAwait(false);
        }

        if (before.Metadata.UserId is { } previous && previous != user)
        {
            await _store.UnindexAsync(previous, key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    /// <inheritdoc/>
    public async Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken)
    {
        if (!SessionIds.IsValid(key))
        {
            return null;
        }

        var result = await _store.LoadAsync(key, cancellationToken).ConfigureAwait(false);
        if (result.Record?.Values.TryGetValue(TicketField, out var bytes) != true)
        {
            return null;
        }

        try
        {
            return _serializer.Deserialize(bytes!);
        }
        catch (Exception ex) when (ex is FormatException or EndOfStreamException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    /// <inheritdoc/>
    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        if (SessionIds.IsValid(key))
        {
            await _store.DestroyAsync(key, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? UserOf(AuthenticationTicket ticket)
    {
        var user = ticket.Principal.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value ?? ticket.Principal.Identity?.Name;
        return string.IsNullOrEmpty(user) || user.Length > 512 || user.Any(char.IsControl) ? null : user;
    }

    private static TimeSpan? Lifetime(AuthenticationTicket ticket) =>
        ticket.Properties.ExpiresUtc is { } expires && ticket.Properties.IssuedUtc is { } issued && expires > issued
            ? expires - issued
            : null;
}

/// <summary>Points cookie authentication at <see cref="TesseraTicketStore"/>.</summary>
internal sealed class TesseraTicketStoreSetup(TesseraTicketStore store) : IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options) => options.SessionStore ??= store;
}
