#pragma warning disable CS0618 // the exceptions StackExchange.Redis raises, built as it builds them
using StackExchange.Redis;
using Tessera.Internal;
using Tessera.Redis;

namespace Tessera.Tests.Redis;

public sealed class RedisFailuresTests
{
    [Theory]
    [InlineData("LOADING Redis is loading the dataset in memory", "Unavailable")]
    [InlineData("BUSY Redis is busy running a script", "Unavailable")]
    [InlineData("MASTERDOWN Link with MASTER is down", "Unavailable")]
    [InlineData("READONLY You can't write against a read only replica.", "Refused")]
    [InlineData("OOM command not allowed when used memory > 'maxmemory'.", "Refused")]
    [InlineData("NOREPLICAS Not enough good replicas to write.", "Refused")]
    [InlineData("NOPERM User tessera-app has no permissions to run the 'evalsha' command", "Refused")]
    [InlineData("ERR max number of clients reached", "Refused")]
    [InlineData("WRONGTYPE Operation against a key holding the wrong kind of value", "Corrupt")]
    [InlineData("ERR unknown command 'XADD', with args beginning with: ", "OutOfStep")]
    [InlineData("ERR Error running script (call to f_1234): oops", "Bug")]
    public void Classify_AServerError_ByItsMeaning(string message, string kind) =>
        Assert.Equal(kind, RedisFailures.Classify(new RedisServerException(message)).ToString());

    [Fact]
    public void Classify_TimeoutsAndLostConnections_AreUnavailable_ADesyncIsOutOfStep()
    {
        Assert.Equal(RedisFailureKind.Unavailable, RedisFailures.Classify(new TimeoutException()));
        Assert.Equal(RedisFailureKind.Unavailable, RedisFailures.Classify(new RedisTimeoutException("t", CommandStatus.Sent)));
        Assert.Equal(RedisFailureKind.Unavailable, RedisFailures.Classify(new RedisConnectionException(ConnectionFailureType.SocketClosed, "closed")));
        Assert.Equal(RedisFailureKind.OutOfStep, RedisFailures.Classify(new RedisConnectionException(ConnectionFailureType.ResponseIntegrityFailure, "x")));
        Assert.Equal(RedisFailureKind.OutOfStep, RedisFailures.Classify(new InvalidOperationException("High-integrity mode detected possible protocol de-sync")));
        Assert.Equal(RedisFailureKind.OutOfStep, RedisFailures.Classify(new RedisReplyException()));
        Assert.Equal(RedisFailureKind.Bug, RedisFailures.Classify(new ArgumentException("x")));
    }

    [Fact]
    public void Classify_AnUnavailableException_ByWhatIsInside()
    {
        Assert.Equal(RedisFailureKind.Refused, RedisFailures.Classify(new TesseraUnavailableException("x", new RedisServerException("OOM full"))));
        Assert.Equal(RedisFailureKind.Unavailable, RedisFailures.Classify(new TesseraUnavailableException("breaker open")));
        Assert.True(RedisFailures.IsOutage(new TimeoutException()));
        Assert.False(RedisFailures.IsOutage(new RedisServerException("OOM full")));
        Assert.True(RedisFailures.IsUnavailable(new RedisServerException("OOM full")));
    }

    [Fact]
    public void DescribeAndErrorType_NeverCopyTheServersText()
    {
        var ex = new RedisServerException("NOPERM session:abcdef secret-key-name");
        Assert.Equal("server: NOPERM", RedisFailures.Describe(ex));
        Assert.Equal("NOPERM", RedisFailures.ErrorType(ex));
        Assert.Equal("server: error", RedisFailures.Describe(new RedisServerException("session:abc is bad")));
    }

    [Theory]
    [InlineData(1_800_000L, 0L, 60_000L)]
    [InlineData(60_000L, 0L, 3_000L)]
    [InlineData(60_000L, 10_000L, 10_000L)]
    [InlineData(60_000L, 40_000L, 3_000L)]
    public void RefreshRule_GranularityIsTheFixedOneUpToHalfTheIdleTimeout_ElseATwentiethAtMostAMinute(long idle, long fixedMs, long expected) =>
        Assert.Equal(expected, RefreshRule.GranularityMs(idle, fixedMs));

    [Fact]
    public void RefreshRule_InLua_UsesTheSameConstants() =>
        Assert.Contains($"idle / {RefreshRule.IdleDivisor}", RefreshRule.LuaFunction, StringComparison.Ordinal);
}
