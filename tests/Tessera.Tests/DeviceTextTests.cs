namespace Tessera.Tests;

public sealed class DeviceTextTests
{
    [Theory]
    [InlineData("Work laptop", "Work laptop")]
    [InlineData("  Work laptop  ", "Work laptop")]
    [InlineData("\u001b[2J\u001b]0;pwn\u0007Phone", "[2J]0;pwnPhone")]
    [InlineData("Lap\u202Etop\u2066\u200F", "Laptop")]
    [InlineData("<b>Phone</b>", "<b>Phone</b>")]
    [InlineData("\u001b\u0007 \t\r\n", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Name_StripsControlsAndBidi_TrimsAndKeepsMarkupForTheDisplayToEncode(string? given, string? stored) =>
        Assert.Equal(stored, DeviceText.Name(given));

    [Fact]
    public void Name_IsBounded_AndNeverSplitsASurrogatePair()
    {
        Assert.Equal(new string('a', DeviceText.MaxNameLength), DeviceText.Name(new string('a', 100_000)));
        var name = DeviceText.Name(new string('a', DeviceText.MaxNameLength - 1) + "\U0001F4BB");
        Assert.Equal(new string('a', DeviceText.MaxNameLength - 1), name);
    }

    [Fact]
    public void Method_IsBoundedToItsOwnLength()
    {
        Assert.Equal("passkey", DeviceText.Method(" passkey\u0000"));
        Assert.Equal(DeviceText.MaxMethodLength, DeviceText.Method(new string('m', 500))!.Length);
    }
}
