namespace Tessera.Admin;

/// <summary>Percentiles of session sizes, in bytes.</summary>
/// <param name="Source"><c>#s</c> (Tessera's own count of field names and values) or <c>MEMORY USAGE</c> (what Redis spends).</param>
/// <param name="Count">Sessions measured.</param>
/// <param name="Total">Sum of sizes.</param>
/// <param name="P50">Median.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Max">Largest.</param>
public sealed record SizeDistribution(string Source, long Count, long Total, long P50, long P90, long P99, long Max)
{
    /// <summary>Computes the distribution (sorts <paramref name="sizes"/> in place).</summary>
    /// <param name="source">Where the sizes come from.</param>
    /// <param name="sizes">The sizes.</param>
    /// <returns>The distribution.</returns>
    public static SizeDistribution Of(string source, List<long> sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Count == 0)
        {
            return new SizeDistribution(source, 0, 0, 0, 0, 0, 0);
        }

        sizes.Sort();
        return new SizeDistribution(source, sizes.Count, sizes.Sum(), At(0.50), At(0.90), At(0.99), sizes[^1]);

        // Nearest rank: the smallest value with at least p of the values at or below it.
        long At(double p) => sizes[Math.Clamp((int)Math.Ceiling(p * sizes.Count) - 1, 0, sizes.Count - 1)];
    }
}
