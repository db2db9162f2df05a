using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Tests;

public sealed class ParsingTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("10m", 600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("2d", 172_800_000)]
    [InlineData("1.5s", 1500)]
    public void Durations_TryParse_Valid(string text, long ms)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("ten minutes")]
    [InlineData("10m garbage")]
    [InlineData("-5s")]
    public void Durations_TryParse_Invalid(string text) => Assert.False(Durations.TryParse(text, out _));

    [Theory]
    [InlineData("512", 512)]
    [InlineData("4KB", 4096)]
    [InlineData("4kib", 4096)]
    [InlineData("1.5MB", 1_572_864)]
    [InlineData("2 K", 2048)]
    public void ByteSizes_TryParse_Valid(string text, long bytes)
    {
        Assert.True(ByteSizes.TryParse(text, out var value));
        Assert.Equal(bytes, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("4TB")]
    [InlineData("lots")]
    public void ByteSizes_TryParse_Invalid(string text) => Assert.False(ByteSizes.TryParse(text, out _));

    [Theory]
    [InlineData("0.0")]
    [InlineData("2.81920")]
    [InlineData("1.4096.ab12cd34")]
    public void ScanPosition_RoundTrips(string text)
    {
        Assert.True(ScanPosition.TryParse(text, out var position));
        Assert.Equal(text, position.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("a.b")]
    [InlineData("1.2.XYZ")]
    [InlineData("-1.2")]
    public void ScanPosition_RejectsGarbage(string text) => Assert.False(ScanPosition.TryParse(text, out _));

    [Fact]
    public void SizeDistribution_NearestRank()
    {
        var sizes = Enumerable.Range(1, 100).Select(n => (long)n).Reverse().ToList();

        var d = SizeDistribution.Of("#s", sizes);

        Assert.Equal((50, 90, 99, 100, 5050), (d.P50, d.P90, d.P99, d.Max, d.Total));
    }

    [Fact]
    public void ProtectDashedIds_OnlyWellFormedIds()
    {
        var dashed = "-" + new string('A', 42);

        var args = TesseraCli.ProtectDashedIds(["show", dashed, "--json", "-h"]);

        Assert.Equal(["show", "id:" + dashed, "--json", "-h"], args);
    }
}
