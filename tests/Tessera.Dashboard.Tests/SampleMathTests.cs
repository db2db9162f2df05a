using Tessera.Admin;

namespace Tessera.Dashboard.Tests;

/// <summary>The estimator's math, without a server: Wilson intervals for counts, order-statistic intervals for percentiles.</summary>
public sealed class SampleMathTests
{
    [Fact]
    public void Count_HalfOfTheSample_ScalesToThePopulationWithTheKnownWilsonInterval()
    {
        var e = SampleMath.Count(5, 10, 1000);
        Assert.Equal(500, e.Value, 6);
        Assert.Equal(236.6, e.Low, 1);   // Wilson 95% for 5/10: 0.2366 to 0.7634
        Assert.Equal(763.4, e.High, 1);
    }

    [Fact]
    public void Count_NoHits_IsZeroWithTheRuleOfThreeLikeUpperBound()
    {
        var e = SampleMath.Count(0, 10, 1000);
        Assert.Equal(0, e.Value);
        Assert.Equal(0, e.Low);
        Assert.Equal(1000 * 3.8415 / 13.8415, e.High, 1); // z²/(n+z²)
        Assert.Equal(double.PositiveInfinity, e.RelativeMargin);
    }

    [Fact]
    public void Count_AllHits_UpperBoundIsThePopulation()
    {
        var e = SampleMath.Count(10_000, 10_000, 1_000_000);
        Assert.Equal(1_000_000, e.Value);
        Assert.Equal(1_000_000, e.High);
        Assert.True(e.Low is > 999_000 and < 1_000_000, e.ToString());
    }

    [Theory]
    [InlineData(7, 100, 100)]
    [InlineData(7, 150, 100)]
    public void Count_SampleCoversThePopulation_IsExact(long hits, long sampled, long population)
    {
        var e = SampleMath.Count(hits, sampled, population);
        Assert.Equal(Estimate.Exactly(hits), e);
        Assert.Equal(0, e.Margin);
    }

    [Theory]
    [InlineData(0, 0, 100)]
    [InlineData(0, 10, 0)]
    public void Count_EmptySampleOrPopulation_IsZero(long hits, long sampled, long population) =>
        Assert.Equal(new Estimate(0, 0, 0), SampleMath.Count(hits, sampled, population));

    [Theory]
    [InlineData(-1, 10, 100)]
    [InlineData(11, 10, 100)]
    [InlineData(1, -10, 100)]
    [InlineData(1, 10, -100)]
    public void Count_BadCounts_Throw(long hits, long sampled, long population) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SampleMath.Count(hits, sampled, population));

    [Fact]
    public void Count_MarginShrinksWithTheSquareRootOfTheSample()
    {
        var small = SampleMath.Count(300, 1_000, 1_000_000).Margin;
        var large = SampleMath.Count(30_000, 100_000, 1_000_000).Margin;
        Assert.Equal(10, small / large, 0); // 100x the sample, a tenth of the margin
    }

    [Theory]
    [InlineData(0.9, 10_000)]
    [InlineData(0.3, 1_000)]
    [InlineData(0.02, 2_000)]
    [InlineData(0.001, 10_000)]
    public void Count_SimulatedSamples_IntervalHoldsTheTruthAboutNinetyFivePercentOfTheTime(double share, int n)
    {
        // Draws with a fixed seed (deterministic): 2,000 samples of n keys from a population with this share of sessions.
        var random = new Random(28);
        const long population = 1_000_000;
        var truth = share * population;
        var held = 0;
        const int trials = 2_000;
        for (var t = 0; t < trials; t++)
        {
            var hits = 0;
            for (var k = 0; k < n; k++)
            {
                hits += random.NextDouble() < share ? 1 : 0;
            }

            held += SampleMath.Count(hits, n, population).Contains(truth) ? 1 : 0;
        }

        var coverage = (double)held / trials;
        Assert.InRange(coverage, 0.92, 0.99);
    }

    [Fact]
    public void PercentileRanks_OneValue_IsThatValue() => Assert.Equal((0, 0), SampleMath.PercentileRanks(1, 0.5));

    [Fact]
    public void PercentileRanks_Median_OfTenThousand_SpansAboutTwoHundredRanks()
    {
        var (low, high) = SampleMath.PercentileRanks(10_000, 0.5);
        Assert.True(low < 4_999 && high > 4_999, $"{low}..{high}");
        Assert.InRange(high - low, 190, 200); // 2 x 1.96 x sqrt(10,000 x 0.25) = 196, plus a rank each side
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void PercentileRanks_NoValues_Throws(int n) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SampleMath.PercentileRanks(n, 0.5));

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.99)]
    public void Percentile_SimulatedSamples_IntervalHoldsTheTruePercentileAboutNinetyFivePercentOfTheTime(double p)
    {
        // Sizes drawn uniformly from 0..99,999: the true p-th percentile is p x 100,000.
        var random = new Random(28);
        var truth = p * 100_000;
        var held = 0;
        const int trials = 1_000;
        for (var t = 0; t < trials; t++)
        {
            var sample = new List<long>(2_000);
            for (var k = 0; k < 2_000; k++)
            {
                sample.Add(random.NextInt64(100_000));
            }

            sample.Sort();
            held += SampleMath.Percentile(sample, p).Contains(truth) ? 1 : 0;
        }

        Assert.InRange((double)held / trials, 0.93, 1.0);
    }

    [Fact]
    public void Percentile_NearestRank_AndItsInterval()
    {
        var values = Enumerable.Range(1, 100).Select(static v => (long)v).ToList();
        var median = SampleMath.Percentile(values, 0.5);
        Assert.Equal(50, median.Value);
        Assert.True(median.Low < 50 && median.High > 50, median.ToString());
    }

    [Fact]
    public void FromStats_IsExact_ZeroWidthIntervals()
    {
        var stats = new SessionStats { Sessions = 42, TtlLess = 2, Sizes = new SizeDistribution("#s", 42, 4200, 90, 180, 300, 400) };
        var figures = SessionEstimate.FromStats(stats);
        Assert.True(figures.IsExact);
        Assert.Equal(Estimate.Exactly(42), figures.Sessions);
        Assert.Equal(0, figures.TtlLess.Margin);
        Assert.Equal(90, figures.SizeP50.Value);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(999)]
    [InlineData(1_000_001)]
    [InlineData(-5)]
    public void DashboardOptions_OverviewSampleKeysOutOfRange_Throws(int keys) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DashboardOptions { OverviewSampleKeys = keys }.Validate());

    [Theory]
    [InlineData(0)]
    [InlineData(1_000)]
    [InlineData(1_000_000)]
    public void DashboardOptions_OverviewSampleKeysInRange_IsValid(int keys) =>
        new DashboardOptions { OverviewSampleKeys = keys }.Validate();
}
