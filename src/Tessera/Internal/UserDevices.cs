using StackExchange.Redis;
using Tessera.Wire;

namespace Tessera.Internal;

/// <summary>A user's devices from the rows of the index: a login and the sessions that name it are one device. Pure.</summary>
internal static class UserDevices
{
    /// <summary>One entry per device: a login with the sessions that name it; any other session on its own.</summary>
    /// <param name="rows">The live rows of the user's index.</param>
    /// <param name="current">The current request's session handle, or null.</param>
    /// <returns>The devices, unsorted.</returns>
    public static List<SessionInfo> Merge(List<UserIndexRow> rows, string? current)
    {
        var byHandle = rows.ToDictionary(static r => r.Handle, StringComparer.Ordinal);
        var linked = new Dictionary<string, List<UserIndexRow>>(StringComparer.Ordinal);
        var devices = new List<SessionInfo>(rows.Count);
        foreach (var row in rows)
        {
            if (row.Login is { } login && login != row.Handle && byHandle.ContainsKey(login))
            {
                (linked.TryGetValue(login, out var list) ? list : linked[login] = []).Add(row);
            }
        }

        foreach (var row in rows)
        {
            if (row.Login is { } login && login != row.Handle && byHandle.ContainsKey(login))
            {
                continue;
            }

            var parts = linked.TryGetValue(row.Handle, out var sessions) ? sessions : [];
            var meta = row.Metadata;
            var latest = meta;
            // The last client is the most recently seen one recorded by any part of the device (a login
            // and its session refresh on their own granularities, so either may hold the newer one).
            SessionMetadata? seen = meta.LastClientIp is not null || meta.LastUserAgent is not null ? meta : null;
            foreach (var part in parts)
            {
                if (part.Metadata.LastAccess > latest.LastAccess)
                {
                    latest = part.Metadata;
                }

                if ((part.Metadata.LastClientIp is not null || part.Metadata.LastUserAgent is not null)
                    && (seen is null || part.Metadata.LastAccess > seen.LastAccess))
                {
                    seen = part.Metadata;
                }
            }

            devices.Add(new SessionInfo(row.Handle, meta with
            {
                LastAccess = latest.LastAccess,
                LastClientIp = seen?.LastClientIp,
                LastUserAgent = seen?.LastUserAgent,
                AuthenticatedAt = Max(meta.AuthenticatedAt, parts.Select(static p => p.Metadata.AuthenticatedAt)),
                // The name is the device's (written on the login when it has one); the sign-in method is
                // written on the session the browser signed in with: the latest part that has one.
                DeviceName = meta.DeviceName ?? Latest(parts, static m => m.DeviceName),
                SignInMethod = meta.SignInMethod ?? Latest(parts, static m => m.SignInMethod),
            })
            {
                LinkedHandles = [.. parts.Select(static p => p.Handle)],
                IsCurrent = current is not null && (row.Handle == current || parts.Exists(p => p.Handle == current)),
            });
        }

        return devices;

        static string? Latest(List<UserIndexRow> parts, Func<SessionMetadata, string?> field)
        {
            SessionMetadata? best = null;
            foreach (var part in parts)
            {
                if (field(part.Metadata) is not null && (best is null || part.Metadata.LastAccess > best.LastAccess))
                {
                    best = part.Metadata;
                }
            }

            return best is null ? null : field(best);
        }

        static DateTimeOffset? Max(DateTimeOffset? first, IEnumerable<DateTimeOffset?> rest)
        {
            var best = first;
            foreach (var value in rest)
            {
                if (value is { } v && (best is null || v > best))
                {
                    best = v;
                }
            }

            return best;
        }
    }

    /// <summary>The metadata of an index member's session, or null when its fields are damaged (listed as gone).</summary>
    /// <param name="f">The metadata fields, in <see cref="SessionMetadataField"/> order.</param>
    /// <returns>The metadata, or null.</returns>
    public static SessionMetadata? ToMetadata(RedisValue[] f)
    {
        try
        {
            return SessionHash.Metadata(f);
        }
        catch (CorruptSessionException)
        {
            return null;
        }
    }
}
