namespace Tessera.Analytics;

/// <summary>One UTC day's counters.</summary>
/// <param name="Day">The day.</param>
/// <param name="Counts">Counter name (<see cref="AnalyticsLayout.Counters"/>) to count; a missing counter is 0.</param>
public sealed record AnalyticsDay(DateOnly Day, IReadOnlyDictionary<string, long> Counts)
{
    /// <summary>The count of a counter.</summary>
    /// <param name="counter">The counter name.</param>
    /// <returns>The count, 0 when none was recorded.</returns>
    public long this[string counter] => Counts.TryGetValue(counter, out var n) ? n : 0;
}
