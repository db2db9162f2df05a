using Tessera.Internal;

namespace Tessera.Admin;

/// <summary>
/// A user's data as a whole, for GDPR requests: erase it (every session and login, and the index) or
/// export it (every device record and each session's values, decoded). Operator work over a store's
/// user index (<see cref="RedisSessionStore.Users"/>); the request path never needs it.
/// </summary>
public sealed class UserData
{
    private readonly RedisSessionStore _store;

    /// <summary>Creates the tool over a store (its options, codec and connection).</summary>
    /// <param name="store">The session store.</param>
    public UserData(RedisSessionStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <summary>
    /// Erases a user's sessions and device records (a GDPR erasure): every session and login is
    /// revoked as by "log out everywhere", and the index goes with them, as do the browsers the user signed in from (new-device detection). The revocation mark (the
    /// user id and a time, for ten minutes) is kept so a sign-in in flight cannot survive the erasure.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many sessions were erased.</returns>
    public async Task<int> EraseAsync(string userId, CancellationToken cancellationToken = default)
    {
        // Revoke-all takes (deletes) the index in the same step as it reads it; deleting it again here
        // could drop a sign-in that came after the erasure from its index.
        var revoked = await _store.Users.RevokeUserSessionsByHandleAsync(userId, null, cancellationToken).ConfigureAwait(false);

        // The browsers the user signed in from are the user's data too.
        await _store.Users.ForgetKnownDevicesAsync(userId, cancellationToken).ConfigureAwait(false);
        return revoked;
    }

    /// <summary>
    /// Exports what Tessera holds about a user (a GDPR access request): each device record and each
    /// session's values, decoded (decrypted), as stored under the handle.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The export.</returns>
    public async Task<UserExport> ExportAsync(string userId, CancellationToken cancellationToken = default)
    {
        SessionUsers.ThrowIfBadUser(userId);
        var rows = await _store.Users.IndexRowsAsync(userId, cancellationToken).ConfigureAwait(false);
        var sessions = new List<ExportedSession>(rows.Count);
        foreach (var row in rows)
        {
            // Read as an operator does: an export neither slides a session nor records a client.
            var load = await _store.LoadHandleAsync(row.Handle, refresh: false, cancellationToken).ConfigureAwait(false);
            if (load.Status == LoadStatus.Corrupt)
            {
                // Values this app cannot decode (a retired key, a hostile write): listed, not dropped.
                sessions.Add(new ExportedSession(row.Handle, row.Metadata, new Dictionary<string, byte[]>()) { Decoded = false });
                continue;
            }

            if (load.Record is not { } record || record.Metadata.UserId != userId)
            {
                continue;
            }

            sessions.Add(new ExportedSession(row.Handle, record.Metadata, record.Values.ToDictionary(static p => p.Key, static p => p.Value, StringComparer.Ordinal))
            {
                Expiries = record.Expiries.ToDictionary(static p => p.Key, static p => p.Value, StringComparer.Ordinal),
            });
        }

        return new UserExport(userId, _store.Time.GetUtcNow(), UserDevices.Merge(rows, null), sessions);
    }
}
