using System.Text;

namespace Tessera.Tests;

public sealed class ProtectedValueCodecTests
{
    private static readonly string Key1 = EncryptionOptions.NewKey();
    private static readonly string Key2 = EncryptionOptions.NewKey();

    private static ProtectedValueCodec Codec(byte active = 1, bool compress = false, bool encrypt = true, params (byte Id, string Key)[] keys)
    {
        var encryption = new EncryptionOptions();
        if (encrypt)
        {
            foreach (var (id, key) in keys.Length > 0 ? keys : [(1, Key1), (2, Key2)])
            {
                encryption.AddKey(id, key);
            }

            encryption.ActiveKeyId = active;
        }

        return new ProtectedValueCodec(new CompressionOptions { Enabled = compress, ThresholdBytes = 64 }, encryption);
    }

    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("card=4111111111111111");

    [Fact]
    public void Encrypted_RoundTrips_AndHidesThePlaintext()
    {
        var codec = Codec();
        var stored = codec.Encode("sid", "f", Secret);
        Assert.Equal(2, stored[0]);
        Assert.Equal(1, stored[1]);
        Assert.Equal(-1, stored.AsSpan().IndexOf("4111"u8));
        Assert.Equal(Secret, codec.Decode("sid", "f", stored));
        Assert.NotEqual(stored, codec.Encode("sid", "f", Secret));
    }

    [Theory]
    [InlineData("other-session", "f")]
    [InlineData("sid", "other-field")]
    public void Value_MovedToAnotherSessionOrField_DoesNotDecrypt(string session, string field)
    {
        var codec = Codec();
        var stored = codec.Encode("sid", "f", Secret);
        Assert.Throws<CorruptSessionException>(() => codec.Decode(session, field, stored));
    }

    [Fact]
    public void TamperedCiphertext_TagOrHeader_IsCorrupt()
    {
        var codec = Codec();
        var stored = codec.Encode("sid", "f", Secret);
        for (var i = 2; i < stored.Length; i++)
        {
            var copy = (byte[])stored.Clone();
            copy[i] ^= 0x01;
            Assert.Throws<CorruptSessionException>(() => codec.Decode("sid", "f", copy));
        }

        var flipped = (byte[])stored.Clone();
        flipped[0] = 3;
        Assert.Throws<CorruptSessionException>(() => codec.Decode("sid", "f", flipped));
        Assert.Throws<CorruptSessionException>(() => codec.Decode("sid", "f", stored[..10]));
    }

    [Fact]
    public void KeyRotation_OldKeyStillDecrypts_NewKeyEncrypts_AndOldValuesAskForARewrite()
    {
        var before = Codec(active: 1);
        var stored = before.Encode("sid", "f", Secret);
        var after = Codec(active: 2);
        Assert.Equal(Secret, after.Decode("sid", "f", stored));
        Assert.True(after.NeedsRewrite(stored));
        var rewritten = after.Encode("sid", "f", Secret);
        Assert.Equal(2, rewritten[1]);
        Assert.False(after.NeedsRewrite(rewritten));
        Assert.True(after.NeedsRewrite(new ValueCodec().Encode("sid", "f", Secret)));
        Assert.False(after.NeedsRewrite("42"u8));
    }

    [Fact]
    public void RetiredKeyRemovedFromTheRing_IsAClearCorruptError()
    {
        var stored = Codec(active: 1).Encode("sid", "f", Secret);
        var ringWithoutKey1 = Codec(active: 2, keys: (2, Key2));
        var error = Assert.Throws<CorruptSessionException>(() => ringWithoutKey1.Decode("sid", "f", stored));
        Assert.Contains("key 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Compression_AboveThreshold_ShrinksAndRoundTrips(bool encrypt)
    {
        var codec = Codec(compress: true, encrypt: encrypt);
        var big = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"sku\":\"A-1\",\"qty\":1},", 200)));
        var stored = codec.Encode("sid", "cart", big);
        Assert.Equal(encrypt ? 3 : 1, stored[0]);
        Assert.True(stored.Length < big.Length / 4, $"{stored.Length} vs {big.Length}");
        Assert.Equal(big, codec.Decode("sid", "cart", stored));
        // Below the threshold: not compressed.
        Assert.Equal(encrypt ? 2 : 0, codec.Encode("sid", "f", "small"u8)[0]);
        // Plain values written before compression was on still read.
        Assert.Equal(big, codec.Decode("sid", "cart", new ValueCodec().Encode("sid", "cart", big)));
    }

    [Fact]
    public void IncompressibleData_IsStoredUncompressed()
    {
        var codec = Codec(compress: true, encrypt: false);
        var random = System.Security.Cryptography.RandomNumberGenerator.GetBytes(4096);
        Assert.Equal(0, codec.Encode("sid", "f", random)[0]);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void BadKey_IsRejectedWithAMessageThatNamesIt(string key)
    {
        var options = new EncryptionOptions().AddKey(1, key, active: true);
        var error = Assert.Throws<ArgumentException>(() => new ProtectedValueCodec(new CompressionOptions(), options));
        Assert.Contains("Encryption.Keys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ActiveKeyNotInRing_IsRejected()
    {
        var options = new EncryptionOptions().AddKey(1, Key1);
        options.ActiveKeyId = 9;
        Assert.Contains(ProtectedValueCodec.Validate(options), e => e.Contains("ActiveKeyId", StringComparison.Ordinal));
    }
}
