namespace Tessera.Tests;

public sealed class ValueCodecTests
{
    private readonly ValueCodec _codec = new();

    [Fact]
    public void Encode_PrefixesAPlainHeader_AndDecodeRoundTrips()
    {
        var stored = _codec.Encode("id", "f", "hello"u8);
        Assert.Equal(0, stored[0]);
        Assert.Equal("hello"u8.ToArray(), _codec.Decode("id", "f", stored));
        Assert.Empty(_codec.Decode("id", "f", _codec.Encode("id", "f", [])));
    }

    [Theory]
    [InlineData("42")]
    [InlineData("-7")]
    [InlineData("0")]
    public void Decode_CounterText_IsReturnedAsIs(string counter)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(counter);
        Assert.Equal(bytes, _codec.Decode("id", "f", bytes));
    }

    [Fact]
    public void Decode_EmptyOrUnknownHeader_IsCorrupt()
    {
        Assert.Throws<CorruptSessionException>(() => _codec.Decode("id", "f", []));
        Assert.Throws<CorruptSessionException>(() => _codec.Decode("id", "f", [0x7f, 1]));
        Assert.Throws<CorruptSessionException>(() => _codec.Decode("id", "f", "{json}"u8.ToArray()));
    }
}
