using System.Diagnostics;

namespace Tessera.Tests;

public sealed class DeviceLabelTests
{
    public static TheoryData<string, string> RealUserAgents => new()
    {
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome on Windows" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", "Edge on Windows" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Windows" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0", "Opera on Windows" },
        { "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer on Windows" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", "Safari on macOS" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome on macOS" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on macOS" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari on iPhone" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "Chrome on iPhone" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15", "Firefox on iPhone" },
        { "Mozilla/5.0 (iPad; CPU OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1", "Safari on iPad" },
        { "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", "Chrome on Android" },
        { "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android" },
        { "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", "Firefox on Android" },
        { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome on Linux" },
        { "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Linux" },
        { "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome on ChromeOS" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36", "Yandex Browser on Windows" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Vivaldi/6.7.3329.21", "Vivaldi on Windows" },
        { "curl/8.5.0", "curl" },
        { "Wget/1.21.4", "Wget" },
    };

    [Theory]
    [MemberData(nameof(RealUserAgents))]
    public void Of_ARealUserAgent_NamesItsBrowserAndSystem(string userAgent, string label) =>
        Assert.Equal(label, DeviceLabel.Of(userAgent));

    [Theory]
    [InlineData(null, "Unknown browser")]
    [InlineData("", "Unknown browser")]
    [InlineData("PostmanRuntime/7.37.3", "Unknown browser")]
    [InlineData("SomeApp/1.0 (Windows NT 10.0)", "Unknown browser on Windows")]
    public void Of_NoKnownBrowser_IsUnknownBrowser(string? userAgent, string label) =>
        Assert.Equal(label, DeviceLabel.Of(userAgent));

    [Fact]
    public void Of_AHugeHostileUserAgent_LooksOnlyAtItsStart_AndIsQuick()
    {
        // A token past the bound is not seen: the cost does not grow with the input.
        var hostile = new string('A', 1_000_000) + " Chrome/1 (Windows)";
        var timer = Stopwatch.StartNew();
        for (var n = 0; n < 1_000; n++)
        {
            Assert.Equal(DeviceLabel.UnknownBrowser, DeviceLabel.Of(hostile));
        }

        Assert.True(timer.Elapsed < TimeSpan.FromSeconds(2), $"1,000 labels of a 1 MB user agent took {timer.Elapsed}.");
        Assert.Equal("Firefox", DeviceLabel.Of(new string(' ', DeviceLabel.MaxInput - 8) + "Firefox/"));
    }
}
