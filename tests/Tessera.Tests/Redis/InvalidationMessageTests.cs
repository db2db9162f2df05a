using Tessera.Redis;

namespace Tessera.Tests.Redis;

/// <summary>
/// The near cache's connection accepts exactly two shapes of frame, an invalidation and the pong of its
/// own PING; anything else (an error, another channel, a pong without its token, a reply of another
/// command) is a fault that empties the cache, never a message it acts on.
/// </summary>
public sealed class InvalidationMessageTests
{
    [Fact]
    public void AnInvalidation_NamesItsKeys()
    {
        var message = InvalidationMessage.Parse(new object?[] { "message", InvalidationConnection.Channel, new object?[] { "s:a", "s:b" } });
        Assert.False(message.IsPong);
        Assert.False(message.IsFlush);
        Assert.Equal(["s:a", "s:b"], message.Keys);
    }

    [Fact]
    public void AFlush_IsAnInvalidationOfEverything() =>
        Assert.True(InvalidationMessage.Parse(new object?[] { "message", InvalidationConnection.Channel, null }).IsFlush);

    [Fact]
    public void APong_CarriesTheTokenItEchoes()
    {
        var message = InvalidationMessage.Parse(new object?[] { "pong", "42" });
        Assert.True(message.IsPong);
        Assert.Equal(42, message.Token);
    }

    public static TheoryData<object?> NotMessages => new()
    {
        new RespError("NOPERM this user has no permissions"),
        "OK",
        42L,
        new object?[] { "pong", "" },
        new object?[] { "pong", "-1" },
        new object?[] { "pong", "4x" },
        new object?[] { "pong" },
        new object?[] { "message", "session:revocations", new object?[] { "s:a" } },
        new object?[] { "message", InvalidationConnection.Channel, new object?[] { "s:a", 7L } },
        new object?[] { "subscribe", InvalidationConnection.Channel, 1L },
        new object?[] { "#c", "1700000000000", "#a", "1700000000000" },
    };

    [Theory]
    [MemberData(nameof(NotMessages))]
    public void AnythingElse_IsAFault(object? frame) =>
        Assert.Throws<RedisReplyException>(() => InvalidationMessage.Parse(frame));
}
