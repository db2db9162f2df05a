using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Tessera.AspNetCore;

/// <summary>
/// What the request sees: the snapshot it read (or created) plus its pending delta, in the spirit of
/// Spring Session's <c>RedisSession</c> (a cached snapshot and a delta map). No Redis, no HTTP.
/// </summary>
internal sealed class SessionView
{
    private Dictionary<string, byte[]> _values = new(StringComparer.Ordinal);
    private HashSet<string> _counters = new(StringComparer.Ordinal);
    private Dictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);

    /// <summary>The clock values with their own lifetime expire by (the store's <see cref="TimeProvider"/>).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>
    /// Whether counters are read only through the counter API (encryption on): a plaintext integer in
    /// Redis could have been forged by anyone with write access, so it never passes for a value.
    /// </summary>
    public bool CountersOnlyAsCounters { get; set; }

    /// <summary>The changes not yet written.</summary>
    public SessionChanges Pending { get; } = new();

    /// <summary>Metadata to write beside the changes (user, client, timeouts), if any.</summary>
    public SessionWrite? Write { get; set; }

    /// <summary>The stored metadata, once read or created.</summary>
    public SessionMetadata? Metadata { get; set; }

    /// <summary>The Redis time of the read this snapshot came from (default when not read).</summary>
    public DateTimeOffset ReadAt { get; private set; }

    /// <summary>Whether the end of the request has something to write.</summary>
    public bool IsDirty => !Pending.IsEmpty || (Write is not null && !Write.IsEmpty);

    /// <summary>The keys visible to the request.</summary>
    public IReadOnlySet<string> Keys
    {
        get
        {
            var keys = new HashSet<string>(StringComparer.Ordinal);
            if (!Pending.Cleared)
            {
                keys.UnionWith(_values.Keys);
                if (CountersOnlyAsCounters)
                {
                    keys.ExceptWith(_counters);
                }

                foreach (var (key, at) in _expiries)
                {
                    if (Clock.GetUtcNow() >= at)
                    {
                        keys.Remove(key);
                    }
                }
            }

            foreach (var (key, value) in Pending.Entries)
            {
                if (value is null || (CountersOnlyAsCounters && Pending.IsCounter(key)) || PendingExpired(key))
                {
                    keys.Remove(key);
                }
                else
                {
                    keys.Add(key);
                }
            }

            return keys;
        }
    }

    /// <summary>
    /// Whether the session holds <paramref name="key"/> as this request knows it (a pending value first,
    /// then the snapshot), counters included: what a remove would remove. Meaningful only when the
    /// contents are known (<see cref="RequestSessionState.KnowsContents"/>).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> when there is a value (or counter) under it.</returns>
    public bool Holds(string key) =>
        Pending.TryGet(key, out var pending) ? pending is not null && !PendingExpired(key) : !Pending.Cleared && _values.ContainsKey(key) && !SnapshotExpired(key);

    /// <summary>Whether setting <paramref name="value"/> under <paramref name="key"/> would change nothing: the snapshot holds the same bytes as a value, and nothing is pending for it.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> for a no-op.</returns>
    public bool HoldsSame(string key, ReadOnlySpan<byte> value) =>
        !Pending.TryGet(key, out _) && !Pending.Cleared && _values.TryGetValue(key, out var held)
        && !_counters.Contains(key) && !_expiries.ContainsKey(key) && value.SequenceEqual(held);

    /// <summary>Whether the session holds nothing as this request knows it (a clear would change nothing).</summary>
    public bool HoldsNothing => !Pending.Entries.Any(e => e.Value is not null) && (Pending.Cleared || _values.Count == 0);

    /// <summary>A value as the request sees it: its own pending change first, then the snapshot.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns><see langword="true"/> when there is one.</returns>
    public bool TryGet(string key, [NotNullWhen(true)] out byte[]? value)
    {
        if (Pending.TryGet(key, out value))
        {
            if ((CountersOnlyAsCounters && Pending.IsCounter(key)) || PendingExpired(key))
            {
                value = null;
            }

            return value is not null;
        }

        if (!Pending.Cleared && _values.TryGetValue(key, out value) && !(CountersOnlyAsCounters && _counters.Contains(key)) && !SnapshotExpired(key))
        {
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>A counter as the request sees it (its own pending counter first).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The counter.</param>
    /// <returns><see langword="true"/> when there is one.</returns>
    public bool TryGetCounter(string key, out long value)
    {
        byte[]? bytes;
        if (Pending.TryGet(key, out bytes))
        {
            if (bytes is null || !Pending.IsCounter(key))
            {
                value = 0;
                return !CountersOnlyAsCounters && bytes is not null && Parse(bytes, out value);
            }
        }
        else if (Pending.Cleared || !_values.TryGetValue(key, out bytes) || (CountersOnlyAsCounters && !_counters.Contains(key)))
        {
            value = 0;
            return false;
        }

        return Parse(bytes!, out value);

        static bool Parse(byte[] bytes, out long value) =>
            System.Buffers.Text.Utf8Parser.TryParse(bytes, out value, out var used) && used == bytes.Length;
    }

    /// <summary>Takes a loaded record as the snapshot; values stored under a retired key are queued for rewrite.</summary>
    /// <param name="record">The record.</param>
    public void Attach(SessionRecord record)
    {
        _values = new Dictionary<string, byte[]>(record.Values, StringComparer.Ordinal);
        _counters = new HashSet<string>(record.Counters, StringComparer.Ordinal);
        _expiries = new Dictionary<string, DateTimeOffset>(record.Expiries, StringComparer.Ordinal);
        Metadata = record.Metadata;
        ReadAt = record.ServerTime;
        StaleRecord = record.StaleStored.Count > 0 ? record : null;
    }

    /// <summary>
    /// The record as read when some of its values are stored with a retired key: rewritten after the
    /// response starts, each value only if Redis still holds the bytes read.
    /// </summary>
    public SessionRecord? StaleRecord { get; set; }

    /// <summary>An empty snapshot (a new visitor), keeping the pending changes.</summary>
    public void Empty()
    {
        _values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        _counters = new HashSet<string>(StringComparer.Ordinal);
        _expiries = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        Metadata = null;
        ReadAt = default;
    }

    /// <summary>Drops the pending changes and metadata (their session died; they are never resurrected).</summary>
    public void DropPending()
    {
        Pending.Reset();
        Write = null;
    }

    /// <summary>The pending changes were written: fold them into the snapshot.</summary>
    public void ApplyCommitted(DateTimeOffset now)
    {
        if (Pending.Cleared)
        {
            _values.Clear();
            _counters.Clear();
            _expiries.Clear();
        }

        foreach (var (key, value) in Pending.Entries)
        {
            _expiries.Remove(key);
            if (value is null)
            {
                _values.Remove(key);
                _counters.Remove(key);
            }
            else
            {
                _values[key] = value;
                if (Pending.ExpiresAt(key) is { } at)
                {
                    _expiries[key] = at;
                }

                if (Pending.IsCounter(key))
                {
                    _counters.Add(key);
                }
                else
                {
                    _counters.Remove(key);
                }
            }
        }

        if (Write is { } write && Metadata is { } meta)
        {
            var authenticated = SessionWrite.AuthenticatedAfter(write, meta);
            Metadata = meta with
            {
                UserId = write.UserId ?? meta.UserId,
                ClientIp = write.ClientIp ?? meta.ClientIp,
                UserAgent = write.UserAgent ?? meta.UserAgent,
                IdleTimeout = write.IdleTimeout ?? meta.IdleTimeout,
                AbsoluteDeadline = write.AbsoluteDeadline ?? meta.AbsoluteDeadline,
                // A sign-in as someone else leaves the previous user's login and authentication behind.
                LoginHandle = SessionWrite.LoginAfter(write, meta),
                DeviceName = DeviceText.Name(write.DeviceName) ?? (write.UserId is null || write.UserId == meta.UserId ? meta.DeviceName : null),
                SignInMethod = DeviceText.Method(write.SignInMethod) ?? (write.UserId is null || write.UserId == meta.UserId ? meta.SignInMethod : null),
                AuthenticatedAt = authenticated == DateTimeOffset.MinValue ? now : authenticated,
            };
        }

        Pending.Reset();
        Write = null;
    }

    /// <summary>Records an atomic operation's outcome in the snapshot, so the rest of the request sees it.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The new value, or null when removed.</param>
    /// <param name="counter">Whether it is a counter.</param>
    public void Remember(string key, byte[]? value, bool counter = false)
    {
        _expiries.Remove(key);
        if (value is null)
        {
            _values.Remove(key);
            _counters.Remove(key);
            return;
        }

        _values[key] = value;
        if (counter)
        {
            _counters.Add(key);
        }
        else
        {
            _counters.Remove(key);
        }
    }

    /// <summary>Records a counter's new value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    public void RememberCounter(string key, long value) =>
        Remember(key, Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)), counter: true);

    /// <summary>The snapshot as a record, for rotation.</summary>
    /// <param name="id">The session id.</param>
    /// <returns>The record.</returns>
    public SessionRecord ToRecord(string id) =>
        new(id, Metadata!, _values, ReadAt) { Counters = _counters, Expiries = _expiries };

    private bool PendingExpired(string key) => Pending.ExpiresAt(key) is { } at && Clock.GetUtcNow() >= at;

    private bool SnapshotExpired(string key) => _expiries.TryGetValue(key, out var at) && Clock.GetUtcNow() >= at;
}
