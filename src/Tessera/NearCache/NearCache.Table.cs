using StackExchange.Redis;
using Tessera.Redis;

namespace Tessera;

/// <summary>The table: what is kept, what is being read, and what a heard change drops. Every step runs under <c>_gate</c>.</summary>
public sealed partial class NearCache
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Fill> _fills = new(StringComparer.Ordinal);
    private long _sequence;
    private long _generation;
    private long _lastSweep;

    /// <summary>
    /// A hit when both the session and the epoch are held and young enough, else a fill registered for both;
    /// a bypass when the connection changed since the read caught up (its pong says nothing of the new one).
    /// </summary>
    private NearLookup Find(string key, long generation)
    {
        lock (_gate)
        {
            if (_state != NearCacheState.Active || _generation != generation)
            {
                return NearLookup.Bypass;
            }

            if (_entries.TryGetValue(key, out var session) && Young(session) && _entries.TryGetValue(EpochKey, out var epoch) && Young(epoch))
            {
                return NearLookup.Hit(session.Session!, epoch.Epoch);
            }

            Register(key);
            Register(EpochKey);
            return NearLookup.Fill(key, _sequence, _generation);
        }
    }

    /// <summary>
    /// Ends a fill: keeps what Redis answered when nothing about either key was heard since the fill was
    /// registered and the connection is the same, else only unregisters. Always called for a fill, kept or not.
    /// </summary>
    /// <param name="lookup">The fill.</param>
    /// <param name="session">The session hash read, or null to keep nothing (a failed read, a session not found).</param>
    /// <param name="epoch">The epoch read beside it.</param>
    internal void Complete(in NearLookup lookup, HashEntry[]? session, long? epoch)
    {
        if (!lookup.IsFill)
        {
            return;
        }

        lock (_gate)
        {
            var current = lookup.Generation == _generation && _state == NearCacheState.Active;
            var sessionHeld = current && session is not null && Unchanged(lookup.Key!, lookup.Sequence);
            var epochHeld = current && Unchanged(EpochKey, lookup.Sequence);
            Unregister(lookup.Key!);
            Unregister(EpochKey);
            if (epochHeld && Room())
            {
                _entries[EpochKey] = new Entry(null, epoch, _store.Time.GetTimestamp());
            }

            if (sessionHeld && epochHeld && Room())
            {
                _entries[lookup.Key!] = new Entry(session, null, _store.Time.GetTimestamp());
            }
        }
    }

    /// <summary>Forgets a session (its sliding refresh is being written: the entry's last access is out of date).</summary>
    /// <param name="key">The session's key.</param>
    internal void Forget(RedisKey key)
    {
        if (_state is NearCacheState.Off or NearCacheState.Unsupported)
        {
            // Nothing is ever kept: the refresh path pays no lock and no key string.
            return;
        }

        lock (_gate)
        {
            _entries.Remove(key.ToString()!);
        }
    }

    /// <summary>A change heard: drops the keys (all of them for a flush) and marks fills in flight for them.</summary>
    private void Invalidate(InvalidationChannel channel, IReadOnlyList<string>? keys)
    {
        lock (_gate)
        {
            if (Array.IndexOf(_channels, channel) < 0)
            {
                return;
            }

            if (keys is null)
            {
                Clear();
                return;
            }

            _sequence++;
            foreach (var key in keys)
            {
                _entries.Remove(key);
                if (_fills.TryGetValue(key, out var fill))
                {
                    fill.Changed = _sequence;
                }
            }
        }
    }

    /// <summary>Empties the table and makes every fill in flight stale.</summary>
    private void Clear()
    {
        _entries.Clear();
        _generation++;
        _sequence++;
    }

    private bool Young(Entry entry) => _store.Time.GetElapsedTime(entry.Stored) < _options.MaxAge;

    private bool Unchanged(string key, long sequence) => !_fills.TryGetValue(key, out var fill) || fill.Changed <= sequence;

    private void Register(string key)
    {
        if (_fills.TryGetValue(key, out var fill))
        {
            fill.Readers++;
        }
        else
        {
            _fills[key] = new Fill { Readers = 1 };
        }
    }

    private void Unregister(string key)
    {
        if (_fills.TryGetValue(key, out var fill) && --fill.Readers == 0)
        {
            _fills.Remove(key);
        }
    }

    /// <summary>Whether one more entry fits; when full, first drops entries past their age (at most once per tenth of it).</summary>
    private bool Room()
    {
        if (_entries.Count < _options.MaxEntries)
        {
            return true;
        }

        if (_store.Time.GetElapsedTime(_lastSweep) >= _options.MaxAge / 10)
        {
            _lastSweep = _store.Time.GetTimestamp();
            foreach (var stale in _entries.Where(e => !Young(e.Value)).Select(static e => e.Key).ToList())
            {
                _entries.Remove(stale);
            }
        }

        return _entries.Count < _options.MaxEntries;
    }

    /// <summary>A kept key: a session hash or the epoch, and when it was read.</summary>
    private sealed record Entry(HashEntry[]? Session, long? Epoch, long Stored);

    /// <summary>Reads of one key in flight, and the last change heard for it while they were.</summary>
    private sealed class Fill
    {
        public int Readers { get; set; }

        public long Changed { get; set; }
    }
}
