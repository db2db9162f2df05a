using StackExchange.Redis;
using Tessera.Redis;

namespace Tessera.Tests.Redis;

public sealed class CapabilityProbeTests
{
    private static RedisResult Entry(string name) => RedisResult.Create([RedisResult.Create((RedisValue)name), RedisResult.Create((RedisValue)(-2))]);

    [Fact]
    public void Parse_NilMeansTheServerLacksTheCommand()
    {
        var reply = RedisResult.Create(ServerCapabilities.ProbedCommands.Select(c => c is "xadd" or "xrange" or "wait" ? RedisResult.Create(RedisValue.Null) : Entry(c)).ToArray());
        var present = CapabilityProbe.Parse(reply);
        Assert.DoesNotContain("xadd", present);
        Assert.Contains("hexpire", present);
        var capabilities = ServerCapabilities.Of(present);
        Assert.True(capabilities.IsKnown);
        Assert.False(capabilities.Streams);
        Assert.Contains("xadd", capabilities.Missing);
    }

    [Fact]
    public void Parse_AReplyThatIsNotOneEntryPerCommand_IsOutOfStep()
    {
        Assert.Throws<RedisReplyException>(() => CapabilityProbe.Parse(RedisResult.Create((RedisValue)"OK")));
        Assert.Throws<RedisReplyException>(() => CapabilityProbe.Parse(RedisResult.Create([Entry("xadd")])));
        var shifted = RedisResult.Create(ServerCapabilities.ProbedCommands.Select(_ => Entry("get")).ToArray());
        Assert.Throws<RedisReplyException>(() => CapabilityProbe.Parse(shifted));
    }

    [Fact]
    public void Unknown_SupportsNothing_UntilAProbeAnswers()
    {
        Assert.False(ServerCapabilities.Unknown.IsKnown);
        Assert.False(ServerCapabilities.Unknown.Streams);
        Assert.Empty(ServerCapabilities.Unknown.Missing);
        Assert.False(ServerCapabilities.Failed("NOPERM").Streams);
    }
}
