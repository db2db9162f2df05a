using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Admin;

/// <summary>Listing sessions page by page and inspecting one, by handle.</summary>
public sealed partial class SessionAdmin
{
    /// <summary>
    /// One page of the sessions that pass <paramref name="filter"/>: at most <paramref name="limit"/>,
    /// from <paramref name="from"/> on. Like <c>SCAN</c> itself, a session that lives through the
    /// whole listing is returned at least once; one may repeat across pages while keys change.
    /// </summary>
    /// <param name="filter">The conditions.</param>
    /// <param name="limit">The most sessions to return.</param>
    /// <param name="from">Where to start (the <see cref="SessionPage.Next"/> of the previous page), or <see langword="null"/>.</param>
    /// <param name="progress">Told after every batch (a rare filter walks the whole keyspace): keys scanned, sessions found, every key on the masters.</param>
    /// <param name="cancellationToken">Stops the scan between batches.</param>
    /// <returns>The page.</returns>
    public async Task<SessionPage> ListAsync(SessionFilter filter, int limit, ScanPosition? from = null, IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var total = progress is null ? 0 : await _keyspace.CountAllKeysAsync(cancellationToken).ConfigureAwait(false);
        var now = await _keyspace.ServerTimeAsync(cancellationToken).ConfigureAwait(false);
        var masters = _keyspace.Masters().Count;
        if (from is not null && from.Server >= masters)
        {
            return new SessionPage([], null, 0);
        }

        var found = new List<SessionSummary>(Math.Min(limit, 1024));
        long scanned = 0;
        var first = true;
        await foreach (var batch in _keyspace.ScanAsync(from, cancellationToken).ConfigureAwait(false))
        {
            IReadOnlyList<RedisKey> keys = batch.Keys;
            if (first && from?.AfterTag is { } tag)
            {
                // Resume inside the batch, after the key the previous page ended on. If that key is no
                // longer in the batch (it expired, or the table was resized), take the whole batch:
                // a repeat is better than a miss.
                var at = IndexOfTag(keys, tag);
                keys = at >= 0 ? keys.Skip(at + 1).ToArray() : keys;
            }

            first = false;
            var summaries = await _keyspace.ReadAsync(keys, false, cancellationToken).ConfigureAwait(false);
            for (var n = 0; n < summaries.Count; n++)
            {
                scanned++;
                if (!filter.Matches(summaries[n], now))
                {
                    continue;
                }

                found.Add(summaries[n]);
                if (found.Count == limit)
                {
                    var rest = summaries.Skip(n + 1).Any(s => filter.Matches(s, now));
                    var next = rest ? new ScanPosition(batch.Server, batch.Cursor, summaries[n].Tag) : After(batch, masters);
                    return new SessionPage(found, next, scanned);
                }
            }

            progress?.Report(new ScanProgress(scanned, found.Count, total));
        }

        return new SessionPage(found, null, scanned);
    }

    /// <summary>Reads one session in full: summary, recorded client, and its values.</summary>
    /// <param name="handle">The session's handle (see <see cref="SessionKeyspace.ResolveHandleAsync"/>).</param>
    /// <param name="codec">Decodes values whose header is not plain (compressed or encrypted), when given.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The details, or <see langword="null"/> when there is no such session (a tombstone or another key counts as none).</returns>
    public async Task<SessionDetails?> InspectAsync(string handle, ValueCodec? codec = null, CancellationToken cancellationToken = default)
    {
        if (!SessionIds.IsValid(handle))
        {
            throw new ArgumentException("Not a well-formed session handle.", nameof(handle));
        }

        var key = _keyspace.KeyFor(handle);
        var db = _keyspace.Database;
        var summaryTask = _keyspace.ReadOneAsync(handle, memoryUsage: true, cancellationToken);
        var allTask = db.HashGetAllAsync(key);
        // Values with their own lifetime are judged by Redis's clock here: the tool has no app clock to ask.
        var nowTask = _keyspace.ServerTimeAsync(cancellationToken);
        try
        {
            await Task.WhenAll(summaryTask, allTask, nowTask).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException) when (summaryTask.IsCompletedSuccessfully)
        {
            return null;
        }

        var summary = await summaryTask.ConfigureAwait(false);
        if (summary.Kind != SessionKeyKind.Session)
        {
            return null;
        }

        string? ip = null, agent = null;
        var fields = new List<SessionField>();
        foreach (var entry in await allTask.ConfigureAwait(false))
        {
            var field = (string)entry.Name!;
            var callerKey = SessionLayout.ToKey(field);
            if (callerKey is null)
            {
                ip = field == SessionLayout.ClientIp ? (string?)entry.Value : ip;
                agent = field == SessionLayout.UserAgent ? (string?)entry.Value : agent;
                continue;
            }

            var stored = (byte[]?)entry.Value ?? [];
            fields.Add(Describe(handle, field, callerKey, stored, codec, await nowTask.ConfigureAwait(false)));
        }

        fields.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new SessionDetails(summary, ip, agent, fields);
    }

    private static SessionField Describe(string handle, string field, string callerKey, byte[] stored, ValueCodec? codec, DateTimeOffset now)
    {
        if (stored.Length == 0)
        {
            return new SessionField(callerKey, 0, StoredValueKind.Encoded, 0, null);
        }

        var header = stored[0];
        if (ValueCodec.IsExpired(stored, now))
        {
            return new SessionField(callerKey, stored.Length, StoredValueKind.Expired, header, null) { ExpiresAt = ValueCodec.ExpiresAt(stored) };
        }

        if (header == ValueCodec.Plain)
        {
            return new SessionField(callerKey, stored.Length, StoredValueKind.Plain, header, stored.AsMemory(1));
        }

        if (header == ValueCodec.ExpiresFlag && ValueCodec.HasDeadline(stored))
        {
            return new SessionField(callerKey, stored.Length, StoredValueKind.Plain, header, stored.AsMemory(1 + ValueCodec.DeadlineSize)) { ExpiresAt = ValueCodec.ExpiresAt(stored) };
        }

        if (header is (byte)'-' or (>= (byte)'0' and <= (byte)'9'))
        {
            return new SessionField(callerKey, stored.Length, StoredValueKind.Counter, header, stored);
        }

        ReadOnlyMemory<byte>? decoded = null;
        if (codec is not null)
        {
            try
            {
                decoded = codec.Decode(handle, field, stored);
            }
            catch (CorruptSessionException)
            {
                decoded = null;
            }
        }

        // Decoded, the deadline is authenticated; not decoded, it is only what the bytes say.
        return new SessionField(callerKey, stored.Length, StoredValueKind.Encoded, header, decoded) { ExpiresAt = ValueCodec.ExpiresAt(stored) };
    }

    private int IndexOfTag(IReadOnlyList<RedisKey> keys, string tag)
    {
        for (var n = 0; n < keys.Count; n++)
        {
            string key = keys[n]!;
            if (_keyspace.ClassifyName(key) == SessionKeyKind.Session
                && string.Equals(SessionIds.TagOfHandle(key[_keyspace.Prefix.Length..]), tag, StringComparison.Ordinal))
            {
                return n;
            }
        }

        return -1;
    }

    private static ScanPosition? After(KeyBatch batch, int masters) =>
        batch.NextCursor != 0 ? new ScanPosition(batch.Server, batch.NextCursor)
        : batch.Server + 1 < masters ? new ScanPosition(batch.Server + 1, 0)
        : null;
}
