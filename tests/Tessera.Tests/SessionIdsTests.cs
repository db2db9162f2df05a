using FsCheck.Xunit;

namespace Tessera.Tests;

public sealed class SessionIdsTests
{
    [Fact]
    public void NewId_Is43Base64UrlChars_AndValid()
    {
        var id = SessionIds.NewId();
        Assert.Equal(43, id.Length);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", id);
        Assert.True(SessionIds.IsValid(id));
    }

    [Fact]
    public void NewId_NeverRepeats_In10000()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => SessionIds.NewId()).ToHashSet();
        Assert.Equal(10_000, ids.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB")] // last char carries bits past 256
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA A")]
    [InlineData("ÄAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void IsValid_RejectsAnythingElse(string? candidate) => Assert.False(SessionIds.IsValid(candidate));

    [Property(MaxTest = 500)]
    public bool IsValid_NeverThrows_OnArbitraryText(string? text) => SessionIds.IsValid(text) == (text is not null && text.Length == 43 && SessionIds.IsValid(text.AsSpan()));

    [Fact]
    public void LogTag_IsShortStableAndNotTheId()
    {
        var id = SessionIds.NewId();
        var tag = SessionIds.LogTag(id);
        Assert.Equal(8, tag.Length);
        Assert.Equal(tag, SessionIds.LogTag(id));
        Assert.DoesNotContain(tag, id, StringComparison.Ordinal);
        Assert.Equal("-", SessionIds.LogTag(null));
        Assert.Equal(8, SessionIds.LogTag(new string('x', 10_000)).Length);
    }
}
