using StackExchange.Redis;

namespace Tessera.Internal;

/// <summary>
/// What a rotation writes: the new session's values (the snapshot with the request's changes), and the
/// patch of what other requests wrote to the old key between the load and the seal. Pure.
/// </summary>
internal static class RotationChanges
{
    /// <summary>The new session's values: the snapshot (unless the request cleared it) with the pending changes applied.</summary>
    /// <param name="snapshot">The session as the request loaded it.</param>
    /// <param name="pending">The request's changes not yet written.</param>
    /// <returns>The values to create the new session with.</returns>
    public static SessionChanges Carried(SessionRecord snapshot, SessionChanges pending)
    {
        var carried = new SessionChanges();
        if (!pending.Cleared)
        {
            foreach (var (key, value) in snapshot.Values)
            {
                Carry(carried, key, value, snapshot.Counters.Contains(key), snapshot.Expiries.TryGetValue(key, out var at) ? at : null);
            }
        }

        foreach (var (key, value) in pending.Entries)
        {
            if (value is null)
            {
                carried.Remove(key);
            }
            else
            {
                Carry(carried, key, value, pending.IsCounter(key), pending.ExpiresAt(key));
            }
        }

        return carried;
    }

    /// <summary>The changes other requests made to the old key after the snapshot, from the seal's reply.</summary>
    /// <param name="oldHandle">The old session's handle (its values are decoded for it).</param>
    /// <param name="snapshot">The session as the request loaded it.</param>
    /// <param name="pending">The request's own changes (they win).</param>
    /// <param name="sealedPairs">The old key's caller fields and stored values at the seal.</param>
    /// <param name="codec">The value codec.</param>
    /// <returns>The patch to commit to the new session.</returns>
    public static SessionChanges Patch(string oldHandle, SessionRecord snapshot, SessionChanges pending, RedisResult[] sealedPairs, ValueCodec codec)
    {
        var patch = new SessionChanges();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var n = 0; n + 1 < sealedPairs.Length; n += 2)
        {
            var field = (string)sealedPairs[n]!;
            if (SessionLayout.ToKey(field) is not { } key)
            {
                continue;
            }

            seen.Add(key);
            if (pending.TryGet(key, out _))
            {
                continue;
            }

            var stored = (byte[])sealedPairs[n + 1]!;
            byte[] value;
            try
            {
                value = codec.Decode(oldHandle, field, stored);
            }
            catch (CorruptSessionException)
            {
                continue;
            }

            // A value's own deadline goes with it (decoded, so authenticated); one already past it is still carried
            // as it is, and no reader serves it.
            var expiresAt = ValueCodec.ExpiresAt(stored);
            if (!snapshot.Values.TryGetValue(key, out var before) || !before.AsSpan().SequenceEqual(value)
                || expiresAt != (snapshot.Expiries.TryGetValue(key, out var was) ? was : null))
            {
                Carry(patch, key, value, ValueCodec.IsCounter(stored), expiresAt);
            }
        }

        foreach (var key in snapshot.Values.Keys)
        {
            if (!seen.Contains(key) && !pending.TryGet(key, out _))
            {
                patch.Remove(key);
            }
        }

        return patch;
    }

    private static void Carry(SessionChanges changes, string key, byte[] value, bool counter, DateTimeOffset? expiresAt)
    {
        if (counter && System.Buffers.Text.Utf8Parser.TryParse(value, out long n, out var used) && used == value.Length)
        {
            changes.SetCounter(key, n);
        }
        else if (expiresAt is { } at)
        {
            changes.Set(key, value, at);
        }
        else
        {
            changes.Set(key, value);
        }
    }
}
