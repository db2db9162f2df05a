namespace Tessera.Demo.Tests;

public sealed class InputRulesTests
{
    [Theory]
    [InlineData("/devices")]
    [InlineData("/devices/recovery-codes")]
    [InlineData("/devices?tab=1")]
    [InlineData("/")]
    public void LocalPath_LocalPath_IsKept(string path) => Assert.Equal(path, InputRules.LocalPath(path));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("devices")]
    [InlineData("//evil.example/steal")]
    [InlineData("/\\evil.example")]
    [InlineData("/devices\\..\\x")]
    [InlineData("https://evil.example/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/devices\r\nSet-Cookie: x=1")]
    public void LocalPath_AnythingElse_IsRefused(string? path) => Assert.Null(InputRules.LocalPath(path));

    [Fact]
    public void LocalPath_TooLong_IsRefused() => Assert.Null(InputRules.LocalPath("/" + new string('a', 600)));

    [Theory]
    [InlineData(null, "Enter your password.")]
    [InlineData("", "Enter your password.")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "at most 128 characters")]
    public void CheckPassword_EmptyOrTooLong_SaysSo(string? password, string message) =>
        Assert.Contains(message, InputRules.CheckPassword(password), StringComparison.Ordinal);

    [Theory]
    [InlineData(" leading and trailing spaces count ")]
    [InlineData("😀 unicode")]
    public void CheckPassword_AnyOtherText_IsAccepted(string password) => Assert.Null(InputRules.CheckPassword(password));
}
