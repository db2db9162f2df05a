using System.Buffers.Binary;
using FsCheck.Xunit;

namespace Tessera.Tests;

/// <summary>
/// The stored format of a value with its own lifetime (<see cref="ValueCodec.ExpiresFlag"/>): header bit 2, the
/// deadline as 8 big-endian bytes of unix ms after the header, the rest as before; authenticated with encryption.
/// </summary>
public sealed class ValueLifetimeFormatTests
{
    private const string Handle = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private static readonly DateTimeOffset At = new(2026, 12, 7, 2, 0, 0, 123, TimeSpan.Zero);
    private static readonly string Key1 = EncryptionOptions.NewKey();
    private static readonly string Key2 = EncryptionOptions.NewKey();

    private static ProtectedValueCodec Protected(bool compress = false, bool encrypt = true, byte active = 1)
    {
        var encryption = new EncryptionOptions();
        if (encrypt)
        {
            encryption.AddKey(1, Key1);
            encryption.AddKey(2, Key2);
            encryption.ActiveKeyId = active;
        }

        return new ProtectedValueCodec(new CompressionOptions { Enabled = compress, ThresholdBytes = 8 }, encryption);
    }

    public static TheoryData<string> Codecs => ["plain", "compressed", "encrypted", "compressed+encrypted"];

    private static ValueCodec CodecNamed(string name) => name switch
    {
        "plain" => new ValueCodec(),
        "compressed" => Protected(compress: true, encrypt: false),
        "encrypted" => Protected(),
        _ => Protected(compress: true),
    };

    [Fact]
    public void Plain_WithALifetime_IsHeader4_TheDeadline_ThenTheValue()
    {
        var stored = new ValueCodec().Encode(Handle, "f", "hi"u8, At);
        Assert.Equal(ValueCodec.ExpiresFlag, stored[0]);
        Assert.Equal(At.ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64BigEndian(stored.AsSpan(1, 8)));
        Assert.Equal("hi"u8.ToArray(), stored[9..]);
        Assert.Equal(At, ValueCodec.ExpiresAt(stored));
    }

    [Fact]
    public void WithoutALifetime_TheFormatIsUnchanged()
    {
        var stored = new ValueCodec().Encode(Handle, "f", "hi"u8, null);
        Assert.Equal(new byte[] { 0, (byte)'h', (byte)'i' }, stored);
        Assert.Null(ValueCodec.ExpiresAt(stored));
        Assert.False(ValueCodec.IsExpired(stored, DateTimeOffset.MaxValue));
        var encrypted = Protected().Encode(Handle, "f", "hi"u8, null);
        Assert.Equal(2, encrypted[0]);
        Assert.Equal(1, encrypted[1]);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void EveryCodec_RoundTrips_AndCarriesTheDeadline(string name)
    {
        var codec = CodecNamed(name);
        var value = System.Text.Encoding.UTF8.GetBytes(new string('x', 200));
        var stored = codec.Encode(Handle, "f", value, At);
        Assert.True((stored[0] & ValueCodec.ExpiresFlag) != 0);
        Assert.Equal(At, ValueCodec.ExpiresAt(stored));
        Assert.Equal(value, codec.Decode(Handle, "f", stored));
        Assert.False(ValueCodec.IsExpired(stored, At.AddMilliseconds(-1)));
        Assert.True(ValueCodec.IsExpired(stored, At));
    }

    [Fact]
    public void Encrypted_TheDeadlineIsBeforeTheKeyId_AndTheKeyRotationRewriteSeesIt()
    {
        var stored = Protected(active: 1).Encode(Handle, "f", "v"u8, At);
        Assert.Equal(ValueCodec.ExpiresFlag | 2, stored[0]);
        Assert.Equal(1, stored[9]);
        Assert.False(Protected(active: 1).NeedsRewrite(stored));
        Assert.True(Protected(active: 2).NeedsRewrite(stored));
        Assert.Equal("v"u8.ToArray(), Protected(active: 2).Decode(Handle, "f", stored));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    public void Encrypted_ADeadlineEditedInRedis_FailsAuthentication(int byteOfDeadline)
    {
        // An attacker with write access to Redis moves the deadline: any edit of its 8 bytes is refused.
        var codec = Protected();
        var stored = codec.Encode(Handle, "f", "one-time code"u8, At);
        stored[byteOfDeadline] ^= 0x40;
        Assert.NotEqual(At, ValueCodec.ExpiresAt(stored));
        Assert.Throws<CorruptSessionException>(() => codec.Decode(Handle, "f", stored));
    }

    [Fact]
    public void Encrypted_TheDeadlineCannotBeStripped_NorAddedToAValueWithoutOne()
    {
        var codec = Protected();
        var stored = codec.Encode(Handle, "f", "v"u8, At);

        // Strip the flag and the deadline: the header is in the associated data.
        var stripped = new byte[stored.Length - 8];
        stripped[0] = (byte)(stored[0] & ~ValueCodec.ExpiresFlag);
        stored.AsSpan(9).CopyTo(stripped.AsSpan(1));
        Assert.Throws<CorruptSessionException>(() => codec.Decode(Handle, "f", stripped));

        // Give a value written without a lifetime a far deadline: refused just as well.
        var forever = codec.Encode(Handle, "f", "v"u8, null);
        var added = new byte[forever.Length + 8];
        added[0] = (byte)(forever[0] | ValueCodec.ExpiresFlag);
        BinaryPrimitives.WriteInt64BigEndian(added.AsSpan(1, 8), At.AddYears(1).ToUnixTimeMilliseconds());
        forever.AsSpan(1).CopyTo(added.AsSpan(9));
        Assert.Throws<CorruptSessionException>(() => codec.Decode(Handle, "f", added));
    }

    [Fact]
    public void ATruncatedValueWithALifetime_IsCorrupt()
    {
        Assert.Throws<CorruptSessionException>(() => new ValueCodec().Decode(Handle, "f", [ValueCodec.ExpiresFlag, 0, 0, 1]));
        Assert.Throws<CorruptSessionException>(() => Protected().Decode(Handle, "f", [ValueCodec.ExpiresFlag | 2, 0, 0, 0, 0, 0, 0, 0, 1, 1]));
    }

    [Fact]
    public void Counters_NeverReadAsHavingADeadline()
    {
        Assert.Null(ValueCodec.ExpiresAt("1234567890123"u8));
        Assert.Null(ValueCodec.ExpiresAt("-123456789012"u8));
    }

    [Property(MaxTest = 300)]
    public bool Plain_RoundTrips_AnyValueAndDeadline(byte[] value, long deadlineMs)
    {
        value ??= [];
        var at = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(deadlineMs, 0, 253402300799999));
        var codec = new ValueCodec();
        var stored = codec.Encode(Handle, "f", value, at);
        return ValueCodec.ExpiresAt(stored) == at && codec.Decode(Handle, "f", stored).AsSpan().SequenceEqual(value);
    }

    [Property(MaxTest = 200)]
    public bool Encrypted_RoundTrips_AnyValueAndDeadline_AndRefusesAnyOtherDeadline(byte[] value, long deadlineMs, long otherMs)
    {
        value ??= [];
        var at = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(deadlineMs, 0, 253402300799999));
        var codec = Protected(compress: true);
        var stored = codec.Encode(Handle, "f", value, at);
        var roundTrips = ValueCodec.ExpiresAt(stored) == at && codec.Decode(Handle, "f", stored).AsSpan().SequenceEqual(value);
        if (otherMs == at.ToUnixTimeMilliseconds())
        {
            return roundTrips;
        }

        BinaryPrimitives.WriteInt64BigEndian(stored.AsSpan(1, 8), otherMs);
        try
        {
            codec.Decode(Handle, "f", stored);
            return false;
        }
        catch (CorruptSessionException)
        {
            return roundTrips;
        }
    }
}
