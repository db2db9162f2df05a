using Tessera.Internal;

namespace Tessera.Tests.Internal;

public sealed class RenewalRuleTests
{
    private static readonly DateTimeOffset Issued = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly SessionMetadata Meta = new() { Created = Issued.AddHours(-1), IdIssuedAt = Issued };

    [Fact]
    public void IsDue_Off_IsNever() => Assert.False(RenewalRule.IsDue(Issued.AddDays(30), Meta, null));

    [Theory]
    [InlineData(0, false)]
    [InlineData(599_999, false)]
    [InlineData(600_000, true)]
    [InlineData(3_600_000, true)]
    public void IsDue_MeasuresFromTheIdsIssue_NotTheCreation(long elapsedMs, bool due) =>
        Assert.Equal(due, RenewalRule.IsDue(Issued.AddMilliseconds(elapsedMs), Meta, TimeSpan.FromMinutes(10)));

    [Fact]
    public void IsDue_AnIdIssuedAfterNow_ByAClockAhead_IsNotDue() =>
        Assert.False(RenewalRule.IsDue(Issued.AddMinutes(-5), Meta, TimeSpan.FromMinutes(1)));

    [Fact]
    public void IsDue_ANonPositiveInterval_IsNever() =>
        Assert.False(RenewalRule.IsDue(Issued.AddDays(1), Meta, TimeSpan.Zero));
}
