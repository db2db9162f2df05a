using Tessera.Analytics;

namespace Tessera.Tests.Analytics;

public sealed class AnalyticsLayoutTests
{
    [Theory]
    [InlineData(TesseraEventKind.Created, null, "created")]
    [InlineData(TesseraEventKind.Created, "ada", "created,login")]
    [InlineData(TesseraEventKind.Rotated, null, "rotated")]
    [InlineData(TesseraEventKind.Rotated, "ada", "rotated,login")]
    [InlineData(TesseraEventKind.Revoked, "ada", "revoked")]
    [InlineData(TesseraEventKind.Destroyed, null, "destroyed")]
    [InlineData(TesseraEventKind.ExpiredOnRead, null, "expired")]
    [InlineData(TesseraEventKind.BindingRejected, null, "binding_rejected")]
    [InlineData(TesseraEventKind.UserBound, "ada", "")]
    public void CountersOf_EachKind_AddsToItsCounters(TesseraEventKind kind, string? user, string expected) =>
        Assert.Equal(expected, string.Join(',', AnalyticsLayout.CountersOf(new TesseraEvent(kind, "0123abcd", user))));

    [Fact]
    public void Keys_AreUnderThePrefixAndNameTheUtcDayAndMinute()
    {
        Assert.Equal("session:analytics:day:2026-12-01", AnalyticsLayout.DayKey("session:", new DateOnly(2026, 12, 1)));
        Assert.Equal("session:analytics:events", AnalyticsLayout.StreamKey("session:"));
        Assert.Equal("login@23:59", AnalyticsLayout.MinuteField("login", new DateTimeOffset(2026, 12, 2, 1, 59, 30, TimeSpan.FromHours(2))));
        Assert.StartsWith(AnalyticsLayout.PrefixOf("app:"), AnalyticsLayout.SamplesKey("app:"), StringComparison.Ordinal);
    }
}
