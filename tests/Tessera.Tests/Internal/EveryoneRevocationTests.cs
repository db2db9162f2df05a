using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Tests.Internal;

public sealed class EveryoneRevocationTests
{
    private const long Epoch = 1_765_000_000_000;

    [Fact]
    public void Ends_WithoutAnEpoch_IsNever() => Assert.False(EveryoneRevocation.Ends(0, null));

    [Theory]
    [InlineData(Epoch - 1, true)]
    [InlineData(Epoch, true)]
    [InlineData(Epoch + 1, false)]
    [InlineData(0, true)]
    public void Ends_ASessionCreatedAtOrBeforeTheEpoch(long created, bool ended) =>
        Assert.Equal(ended, EveryoneRevocation.Ends(created, Epoch));

    [Fact]
    public void EpochOf_AMissingKey_IsNone() => Assert.Null(EveryoneRevocation.EpochOf(RedisValue.Null));

    [Fact]
    public void EpochOf_ReadsUnixMilliseconds() => Assert.Equal(Epoch, EveryoneRevocation.EpochOf((RedisValue)"1765000000000"));

    [Fact]
    public void EpochOf_SomethingElse_IsNone() => Assert.Null(EveryoneRevocation.EpochOf((RedisValue)"not a time"));

    [Fact]
    public void EpochKey_IsUnderThePrefix_AndNeverAHandle()
    {
        var key = (string)SessionLayout.EveryoneRevokedKey("session:")!;
        Assert.Equal("session:everyone-revoked", key);
        Assert.False(SessionIds.IsValid(key["session:".Length..]));
    }
}
