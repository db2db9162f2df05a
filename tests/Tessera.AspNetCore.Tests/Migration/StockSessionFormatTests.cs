using System.Text;
using Tessera.AspNetCore.Migration;

namespace Tessera.AspNetCore.Tests;

public sealed class StockSessionFormatTests
{
    /// <summary>Writes what the stock DistributedSession writes (revision 2, big-endian lengths).</summary>
    private static byte[] Blob(params (string Key, byte[] Value)[] entries)
    {
        var output = new MemoryStream();
        output.WriteByte(2);
        output.Write([(byte)(entries.Length >> 16), (byte)(entries.Length >> 8), (byte)entries.Length]);
        output.Write(new byte[16]);
        foreach (var (key, value) in entries)
        {
            var k = Encoding.UTF8.GetBytes(key);
            output.Write([(byte)(k.Length >> 8), (byte)k.Length]);
            output.Write(k);
            output.Write([(byte)(value.Length >> 24), (byte)(value.Length >> 16), (byte)(value.Length >> 8), (byte)value.Length]);
            output.Write(value);
        }

        return output.ToArray();
    }

    [Fact]
    public void TryDecode_StockBlob_ReturnsEveryEntry()
    {
        var big = new byte[70_000];
        Random.Shared.NextBytes(big);

        Assert.True(StockSessionFormat.TryDecode(Blob(("user", "ada"u8.ToArray()), ("é#key", []), ("big", big)), out var entries));

        Assert.Equal(["user", "é#key", "big"], entries.Select(e => e.Key));
        Assert.Equal("ada"u8.ToArray(), entries[0].Value);
        Assert.Empty(entries[1].Value);
        Assert.Equal(big, entries[2].Value);
    }

    [Fact]
    public void TryDecode_EmptySession_ReturnsNoEntries()
    {
        Assert.True(StockSessionFormat.TryDecode(Blob(), out var entries));
        Assert.Empty(entries);
    }

    [Fact]
    public void TryDecode_ForeignOrDamagedBlob_ReturnsFalse()
    {
        var good = Blob(("user", "ada"u8.ToArray()));
        var otherRevision = (byte[])good.Clone();
        otherRevision[0] = 1;
        var trailing = good.Concat(new byte[] { 0 }).ToArray();
        var badUtf8 = Blob(("user", "ada"u8.ToArray()));
        badUtf8[22] = 0xFF;

        Assert.False(StockSessionFormat.TryDecode(otherRevision, out _));
        for (var cut = 0; cut < good.Length; cut++)
        {
            Assert.False(StockSessionFormat.TryDecode(good.AsSpan(0, cut), out _));
        }

        Assert.False(StockSessionFormat.TryDecode(trailing, out _));
        Assert.False(StockSessionFormat.TryDecode(badUtf8, out _));
        Assert.False(StockSessionFormat.TryDecode("not a session"u8, out _));
    }
}
