using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tessera.AspNetCore;

/// <summary>
/// A bounded in-process memory of the sessions this app instance slid recently, so a request that
/// does not use its session refreshes it at most once per granularity. Bounded: when it holds
/// <see cref="Capacity"/> sessions it forgets them all (the cost of forgetting is one extra refresh each).
/// </summary>
internal sealed class RecentTouches(TimeSpan granularity)
{
    /// <summary>The most sessions remembered.</summary>
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
    private readonly long _granularityTicks = Math.Max(1, (long)(granularity.TotalSeconds * Stopwatch.Frequency));

    /// <summary>Whether the session is due a slide now; if so, remembers that it was slid.</summary>
    /// <param name="id">The session id.</param>
    /// <returns><see langword="true"/> at most once per granularity per session.</returns>
    public bool ShouldTouch(string id)
    {
        var now = Stopwatch.GetTimestamp();
        if (_seen.TryGetValue(id, out var last) && now - last < _granularityTicks)
        {
            return false;
        }

        if (_seen.Count >= Capacity)
        {
            _seen.Clear();
        }

        _seen[id] = now;
        return true;
    }
}
