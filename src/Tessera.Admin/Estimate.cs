namespace Tessera.Admin;

/// <summary>A count estimated from a random sample, with its 95% confidence interval.</summary>
/// <param name="Value">The estimate.</param>
/// <param name="Low">The interval's lower bound.</param>
/// <param name="High">The interval's upper bound.</param>
public readonly record struct Estimate(double Value, double Low, double High)
{
    /// <summary>An exact count (an interval of zero width).</summary>
    /// <param name="count">The count.</param>
    /// <returns>The estimate.</returns>
    public static Estimate Exactly(long count) => new(count, count, count);

    /// <summary>Half the interval's width.</summary>
    public double Margin => (High - Low) / 2;

    /// <summary>The margin as a share of the estimate (0.01 is ±1%); <see cref="double.PositiveInfinity"/> when the estimate is 0 and the margin is not.</summary>
    public double RelativeMargin => Value > 0 ? Margin / Value : Margin > 0 ? double.PositiveInfinity : 0;

    /// <summary>Whether <paramref name="count"/> lies within the interval.</summary>
    /// <param name="count">A true count.</param>
    /// <returns><see langword="true"/> when <see cref="Low"/> ≤ count ≤ <see cref="High"/>.</returns>
    public bool Contains(double count) => count >= Low && count <= High;
}
