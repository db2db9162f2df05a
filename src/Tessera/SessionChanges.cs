namespace Tessera;

/// <summary>
/// The changes one request makes to a session: values set, values removed, and whether every
/// value was cleared first. Only these are written at commit.
/// </summary>
public sealed class SessionChanges
{
    private Dictionary<string, byte[]?>? _changes;
    private HashSet<string>? _counters;
    private Dictionary<string, DateTimeOffset>? _expiries;

    /// <summary>Whether every caller value is removed before the changes apply.</summary>
    public bool Cleared { get; private set; }

    /// <summary>Whether there is anything to write.</summary>
    public bool IsEmpty => !Cleared && (_changes is null || _changes.Count == 0);

    /// <summary>The changed keys: a value to set, or <see langword="null"/> to remove.</summary>
    public IEnumerable<KeyValuePair<string, byte[]?>> Entries =>
        _changes ?? (IEnumerable<KeyValuePair<string, byte[]?>>)[];

    /// <summary>The number of changed keys.</summary>
    public int Count => _changes?.Count ?? 0;

    /// <summary>Records a value to set.</summary>
    /// <param name="key">The caller key.</param>
    /// <param name="value">The value.</param>
    public void Set(string key, byte[] value)
    {
        (_changes ??= new(StringComparer.Ordinal))[key] = value;
        _counters?.Remove(key);
        _expiries?.Remove(key);
    }

    /// <summary>
    /// Records a value to set with its own lifetime: it is never read, taken or listed at or after
    /// <paramref name="expiresAt"/> (by the app's clock, <see cref="TimeProvider"/>), and is removed from
    /// Redis by a later load, whatever the session's own timeouts. It never outlives its session.
    /// </summary>
    /// <param name="key">The caller key.</param>
    /// <param name="value">The value.</param>
    /// <param name="expiresAt">When the value expires (stored to the millisecond, rounded down).</param>
    public void Set(string key, byte[] value, DateTimeOffset expiresAt)
    {
        Set(key, value);
        (_expiries ??= new(StringComparer.Ordinal))[key] = DateTimeOffset.FromUnixTimeMilliseconds(expiresAt.ToUnixTimeMilliseconds());
    }

    /// <summary>When a pending value expires, or <see langword="null"/> when it lives as long as its session (or is no value).</summary>
    /// <param name="key">The caller key.</param>
    /// <returns>The deadline, or null.</returns>
    public DateTimeOffset? ExpiresAt(string key) =>
        _expiries is not null && _expiries.TryGetValue(key, out var at) ? at : null;

    /// <summary>Records an integer counter, stored as decimal text so the atomic API can change it in place.</summary>
    /// <param name="key">The caller key.</param>
    /// <param name="value">The counter value.</param>
    public void SetCounter(string key, long value)
    {
        (_changes ??= new(StringComparer.Ordinal))[key] = System.Text.Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (_counters ??= new(StringComparer.Ordinal)).Add(key);
        _expiries?.Remove(key);
    }

    /// <summary>Whether a pending value is a counter (stored as text, not through the codec).</summary>
    /// <param name="key">The caller key.</param>
    /// <returns><see langword="true"/> for a counter.</returns>
    public bool IsCounter(string key) => _counters is not null && _counters.Contains(key);

    /// <summary>Records a key to remove.</summary>
    /// <param name="key">The caller key.</param>
    public void Remove(string key)
    {
        (_changes ??= new(StringComparer.Ordinal))[key] = null;
        _counters?.Remove(key);
        _expiries?.Remove(key);
    }

    /// <summary>Records that every value is removed; earlier changes are dropped.</summary>
    public void Clear()
    {
        Cleared = true;
        _changes?.Clear();
        _counters?.Clear();
        _expiries?.Clear();
    }

    /// <summary>Looks up a pending change.</summary>
    /// <param name="key">The caller key.</param>
    /// <param name="value">The pending value, or <see langword="null"/> when the key is being removed.</param>
    /// <returns><see langword="true"/> when the key has a pending change.</returns>
    public bool TryGet(string key, out byte[]? value)
    {
        if (_changes is not null && _changes.TryGetValue(key, out value))
        {
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>Forgets every change, after a successful commit.</summary>
    public void Reset()
    {
        Cleared = false;
        _changes?.Clear();
        _counters?.Clear();
        _expiries?.Clear();
    }
}
