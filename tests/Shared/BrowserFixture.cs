using Microsoft.Playwright;

// Compiled into each browser-driving test assembly (Demo, Dashboard), which registers it with
// [assembly: AssemblyFixture(typeof(Tessera.Tests.Browser.BrowserFixture))].
namespace Tessera.Tests.Browser;

/// <summary>
/// Headless Chromium, the system's (Playwright cannot download its own here), driven by Playwright.
/// No Chromium means a loud failure that says what to install.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>The browser.</summary>
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    /// <summary>Where screenshots go: TestResults/screenshots under the test's output directory.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    /// <inheritdoc/>
    public async ValueTask InitializeAsync()
    {
        var path = Environment.GetEnvironmentVariable("TESSERA_CHROMIUM") is { Length: > 0 } configured
            ? configured
            : Candidates.FirstOrDefault(File.Exists);
        if (path is null || !File.Exists(path))
        {
            throw new InvalidOperationException(
                "Chromium is not installed (looked for " + string.Join(", ", Candidates) + "). " +
                "Install it with: sudo apt-get install -y chromium   (or set TESSERA_CHROMIUM to its path)");
        }

        // The suite runs browsers beside servers and builds on 2 cores: a page can take longer than
        // Playwright's 5 s default to settle without anything being wrong. Still bounded.
        Assertions.SetDefaultExpectTimeout(15_000);
        Directory.CreateDirectory(ScreenshotDirectory);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            Timeout = 30_000,
            Args =
            [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        });
    }

    /// <summary>A new browser context (its own cookies), like a second browser.</summary>
    /// <param name="userAgent">Its user agent, to tell devices apart.</param>
    /// <returns>The context.</returns>
    public Task<IBrowserContext> NewContextAsync(string userAgent) =>
        Browser.NewContextAsync(new BrowserNewContextOptions
        {
            UserAgent = userAgent,
            ViewportSize = new ViewportSize { Width = 1280, Height = 1000 },
            Locale = "en-US",
        });

    /// <summary>Saves a full-page screenshot as TestResults/screenshots/{name}.png.</summary>
    /// <param name="page">The page.</param>
    /// <param name="name">The file name, without extension.</param>
    /// <returns>A task.</returns>
    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
