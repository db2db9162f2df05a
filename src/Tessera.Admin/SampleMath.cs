namespace Tessera.Admin;

/// <summary>
/// The statistics behind sampled figures: a share of a population from a simple random sample (Wilson
/// score interval, which stays honest for shares near 0 or 1 where the normal approximation does not),
/// and distribution-free confidence intervals for percentiles (order statistics). Pure functions.
/// </summary>
public static class SampleMath
{
    /// <summary>The two-sided 95% normal quantile.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// Estimates how many of <paramref name="population"/> items have a property, from <paramref name="hits"/>
    /// of <paramref name="sampled"/> items drawn at random: <c>population × hits / sampled</c>, with the Wilson
    /// score interval of the share scaled to the population. Without a finite-population correction, so the
    /// interval is slightly wide when the sample is a large part of the population. A sample that covers the
    /// whole population (<paramref name="sampled"/> ≥ <paramref name="population"/>) is exact.
    /// </summary>
    /// <param name="hits">Sampled items with the property.</param>
    /// <param name="sampled">Items sampled.</param>
    /// <param name="population">Items in all.</param>
    /// <param name="z">The normal quantile of the confidence level (default 95%).</param>
    /// <returns>The estimate; 0 ± 0 for an empty population or sample.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, or <paramref name="hits"/> exceeds <paramref name="sampled"/>.</exception>
    public static Estimate Count(long hits, long sampled, long population, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hits);
        ArgumentOutOfRangeException.ThrowIfNegative(sampled);
        ArgumentOutOfRangeException.ThrowIfNegative(population);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hits, sampled);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(z);
        if (sampled == 0 || population == 0)
        {
            return new Estimate(0, 0, 0);
        }

        if (sampled >= population)
        {
            return Estimate.Exactly(hits);
        }

        var (low, high) = Wilson(hits, sampled, z);
        return new Estimate(population * ((double)hits / sampled), population * low, population * high);
    }

    /// <summary>The Wilson score interval of a share.</summary>
    /// <param name="hits">Successes.</param>
    /// <param name="trials">Trials (at least 1).</param>
    /// <param name="z">The normal quantile.</param>
    /// <returns>The bounds, within [0, 1].</returns>
    public static (double Low, double High) Wilson(long hits, long trials, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trials);
        ArgumentOutOfRangeException.ThrowIfNegative(hits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hits, trials);
        double n = trials, p = hits / n, z2 = z * z;
        var centre = (p + (z2 / (2 * n))) / (1 + (z2 / n));
        var half = z / (1 + (z2 / n)) * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n)));
        return (hits == 0 ? 0 : Math.Max(0, centre - half), hits == trials ? 1 : Math.Min(1, centre + half));
    }

    /// <summary>
    /// The 0-based ranks, in <paramref name="n"/> sorted sampled values, that bound the
    /// <paramref name="p"/>-th percentile of the population with the given confidence: the number of
    /// sampled values below the true percentile is Binomial(n, p), approximated by the normal.
    /// </summary>
    /// <param name="n">How many values were sampled (at least 1).</param>
    /// <param name="p">The percentile as a share, 0 to 1.</param>
    /// <param name="z">The normal quantile.</param>
    /// <returns>The lower and upper ranks, within 0..n-1.</returns>
    public static (int Low, int High) PercentileRanks(int n, double p, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1);
        var spread = z * Math.Sqrt(n * p * (1 - p));
        var low = (int)Math.Floor((n * p) - spread) - 1;
        var high = (int)Math.Ceiling((n * p) + spread);
        return (Math.Clamp(low, 0, n - 1), Math.Clamp(high, 0, n - 1));
    }

    /// <summary>The nearest-rank percentile of sorted values with its interval (<see cref="PercentileRanks"/>).</summary>
    /// <param name="sorted">The sampled values, sorted ascending (at least one).</param>
    /// <param name="p">The percentile as a share, 0 to 1.</param>
    /// <param name="z">The normal quantile.</param>
    /// <returns>The sampled percentile and the values at the interval's ranks.</returns>
    public static Estimate Percentile(IReadOnlyList<long> sorted, double p, double z = Z95)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count);
        var at = Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1);
        var (low, high) = PercentileRanks(sorted.Count, p, z);
        return new Estimate(sorted[at], sorted[low], sorted[high]);
    }
}
