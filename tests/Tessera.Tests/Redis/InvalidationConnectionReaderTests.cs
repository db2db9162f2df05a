using System.Net;
using System.Text;
using Tessera.Redis;

namespace Tessera.Tests.Redis;

/// <summary>
/// What the near cache's connection reads off the wire, byte by byte: the two messages it expects come
/// through, and bytes that are not well-formed RESP2 (a length that lies, a missing CRLF, a flood, arrays
/// nested deeper than an invalidation's, a frame type RESP2 has not, the stream ending mid-frame) fail
/// the read at once with an error, never a hang, a crash or a message acted on.
/// </summary>
public sealed class InvalidationConnectionReaderTests
{
    [Fact]
    public async Task AnInvalidationAndAPong_SplitAcrossReads_AreReadInOrder()
    {
        await using var connection = Over("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*2\r\n$3\r\ns:a\r\n$3\r\ns:b\r\n*2\r\n$4\r\npong\r\n$1\r\n7\r\n*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*-1\r\n", chunk: 3);
        Assert.Equal(["s:a", "s:b"], (await connection.ReadAsync(CancellationToken.None)).Keys);
        Assert.Equal(7, (await connection.ReadAsync(CancellationToken.None)).Token);
        Assert.True((await connection.ReadAsync(CancellationToken.None)).IsFlush);
    }

    [Theory]
    [InlineData("*2\r\n$4\r\npong\r\n$5\r\n7\r\n+OK\r\n")] // a bulk length that lies (then no CRLF where it says)
    [InlineData("*2\r\n$4\r\npong\r\n$1\r\n7XY")] // no CRLF after the bulk
    [InlineData("*2\n$4\npong\n")] // LF without CR
    [InlineData("*2\r\n$4\r\npong\r\n$99999999\r\n")] // a bulk over the bound
    [InlineData("*99999999\r\n")] // an array over the bound
    [InlineData("*1\r\n*1\r\n*1\r\n$1\r\nx\r\n")] // arrays three deep
    [InlineData("%1\r\n+a\r\n+b\r\n")] // a RESP3 map
    [InlineData("-ERR injected\r\n")] // an error
    [InlineData("+PONG\r\n")] // a RESP2 PONG outside subscribe mode: not a message of this connection
    [InlineData("*2\r\n$4\r\npong\r\n$2\r\n-1\r\n")] // a pong with a token never sent
    [InlineData("\r\n")] // an empty line
    [InlineData(":notanumber\r\n")]
    public async Task BytesThatAreNotAMessage_FailTheRead(string wire)
    {
        await using var connection = Over(wire, chunk: 2);
        await Assert.ThrowsAsync<RedisReplyException>(() => connection.ReadAsync(CancellationToken.None).AsTask());
    }

    [Theory]
    [InlineData("")]
    [InlineData("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:inval")]
    public async Task TheStreamEnding_MidFrame_FailsTheRead(string wire)
    {
        await using var connection = Over(wire, chunk: 4);
        await Assert.ThrowsAsync<IOException>(() => connection.ReadAsync(CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task ALineWithoutEnd_FailsOnceItPassesTheBound_NotWhenMemoryRunsOut()
    {
        await using var connection = Over("+" + new string('x', 200_000), chunk: 4096);
        await Assert.ThrowsAsync<RedisReplyException>(() => connection.ReadAsync(CancellationToken.None).AsTask());
    }

    private static InvalidationConnection Over(string wire, int chunk) =>
        new(null, new ChunkedStream(Encoding.UTF8.GetBytes(wire), chunk), new IPEndPoint(IPAddress.Loopback, 6379));

    /// <summary>Gives its bytes at most <c>chunk</c> at a time, as a socket may.</summary>
    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
