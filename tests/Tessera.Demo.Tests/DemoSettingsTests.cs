namespace Tessera.Demo.Tests;

public sealed class DemoSettingsTests
{
    private static readonly Func<string, string?> NoEnvironment = static _ => null;

    [Fact]
    public void TryParse_NoArguments_EmbeddedGarnetOnPort5000WithThreeInstances()
    {
        Assert.True(DemoSettings.TryParse([], NoEnvironment, out var settings, out var error));
        Assert.Null(error);
        Assert.Null(settings.Redis);
        Assert.Equal(5000, settings.Port);
        Assert.Equal(3, settings.Instances);
    }

    [Fact]
    public void TryParse_AllOptions_Applied()
    {
        Assert.True(DemoSettings.TryParse(["--redis", "10.0.0.1:6380", "--port", "0", "--instances", "2", "--idle", "60", "--verbose"], NoEnvironment, out var settings, out _));
        Assert.Equal("10.0.0.1:6380", settings.Redis);
        Assert.Equal(0, settings.Port);
        Assert.Equal(2, settings.Instances);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.IdleTimeout);
        Assert.True(settings.Verbose);
    }

    [Fact]
    public void TryParse_DeviceOptions_Applied_DefaultsAreThreeDenyNewFiveMinutes()
    {
        Assert.True(DemoSettings.TryParse([], NoEnvironment, out var defaults, out _));
        Assert.Equal(3, defaults.MaxDevicesPerUser);
        Assert.Equal(SessionLimitPolicy.DenyNew, defaults.DeviceLimitPolicy);
        Assert.Equal(TimeSpan.FromMinutes(5), defaults.StepUpMaxAge);

        Assert.True(DemoSettings.TryParse(["--max-devices", "5", "--limit-policy", "evict", "--step-up", "30"], NoEnvironment, out var settings, out _));
        Assert.Equal(5, settings.MaxDevicesPerUser);
        Assert.Equal(SessionLimitPolicy.EvictOldest, settings.DeviceLimitPolicy);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.StepUpMaxAge);
    }

    [Fact]
    public void TryParse_RedisFromEnvironment_UnlessGivenOnTheCommandLine()
    {
        Func<string, string?> env = static name => name == DemoSettings.RedisVariable ? "127.0.0.1:6390" : null;
        Assert.True(DemoSettings.TryParse([], env, out var settings, out _));
        Assert.Equal("127.0.0.1:6390", settings.Redis);
        Assert.True(DemoSettings.TryParse(["--redis", "127.0.0.1:7000"], env, out settings, out _));
        Assert.Equal("127.0.0.1:7000", settings.Redis);
    }

    [Theory]
    [InlineData("--port", "-1")]
    [InlineData("--port", "65536")]
    [InlineData("--port", "http")]
    [InlineData("--instances", "0")]
    [InlineData("--instances", "10")]
    [InlineData("--idle", "1")]
    [InlineData("--redis", "--port")]
    [InlineData("--max-devices", "0")]
    [InlineData("--max-devices", "51")]
    [InlineData("--limit-policy", "maybe")]
    [InlineData("--step-up", "0")]
    [InlineData("--bogus", "1")]
    public void TryParse_BadOption_ErrorNamesIt(string option, string value)
    {
        Assert.False(DemoSettings.TryParse([option, value], NoEnvironment, out _, out var error));
        Assert.NotNull(error);
        Assert.Contains(option, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_Help_NoErrorAndNoStart()
    {
        Assert.False(DemoSettings.TryParse(["--help"], NoEnvironment, out _, out var error));
        Assert.Null(error);
        Assert.Contains("--redis", DemoSettings.Usage, StringComparison.Ordinal);
    }
}
