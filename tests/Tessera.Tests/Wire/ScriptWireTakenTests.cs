using System.Text;
using StackExchange.Redis;
using Tessera.Wire;

namespace Tessera.Tests.Wire;

/// <summary><see cref="ScriptWire.Taken"/>: what a take hands out from the bytes the script removed.</summary>
public sealed class ScriptWireTakenTests
{
    private const string Handle = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Taken_Nil_IsNull() =>
        Assert.Null(ScriptWire.Taken(RedisResult.Create(RedisValue.Null), Handle, "f", new ValueCodec(), Now));

    [Fact]
    public void Taken_AStoredValue_IsDecoded()
    {
        var codec = new ValueCodec();
        var stored = codec.Encode(Handle, "f", Encoding.UTF8.GetBytes("hello"));
        Assert.Equal("hello", Encoding.UTF8.GetString(ScriptWire.Taken(RedisResult.Create((RedisValue)stored), Handle, "f", codec, Now)!));
    }

    [Fact]
    public void Taken_ACounter_IsItsText_WithoutEncryption() =>
        Assert.Equal("42", Encoding.UTF8.GetString(ScriptWire.Taken(RedisResult.Create((RedisValue)"42"), Handle, "f", new ValueCodec(), Now)!));

    [Fact]
    public void Taken_APlaintextInteger_IsNoValue_WithEncryption()
    {
        var options = new TesseraOptions();
        options.Encryption.AddKey(1, EncryptionOptions.NewKey(), active: true);
        Assert.Null(ScriptWire.Taken(RedisResult.Create((RedisValue)"42"), Handle, "f", ValueCodec.Create(options), Now));
    }

    [Fact]
    public void Taken_AValueThatDoesNotDecode_Throws() =>
        Assert.Throws<CorruptSessionException>(() => ScriptWire.Taken(RedisResult.Create((RedisValue)new byte[] { 0x7F, 1 }), Handle, "f", new ValueCodec(), Now));

    [Fact]
    public void Taken_AValueBeforeItsDeadline_IsDecoded()
    {
        var codec = new ValueCodec();
        var stored = codec.Encode(Handle, "f", "code"u8, Now.AddMilliseconds(1));
        Assert.Equal("code", Encoding.UTF8.GetString(ScriptWire.Taken(RedisResult.Create((RedisValue)stored), Handle, "f", codec, Now)!));
    }

    [Fact]
    public void Taken_AValueAtOrPastItsDeadline_IsNoValue()
    {
        var codec = new ValueCodec();
        var stored = codec.Encode(Handle, "f", "code"u8, Now);
        Assert.Null(ScriptWire.Taken(RedisResult.Create((RedisValue)stored), Handle, "f", codec, Now));
        Assert.Null(ScriptWire.Taken(RedisResult.Create((RedisValue)stored), Handle, "f", codec, Now.AddDays(1)));
    }
}
