using System.Diagnostics;
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

    /// <summary>
    /// Holds the page's timers (Playwright's clock: its context must have called <c>Clock.InstallAsync</c>
    /// before the page loaded) until the hold is disposed. A page that leaves a state by itself on a timer,
    /// such as a banner that goes to the sign-in page a moment later, must not start that navigation while a
    /// screenshot of it is taken: Chromium's capture stalls until Playwright's timeout when a navigation starts
    /// during it (seen in CI; 12 of 20 in a reproduction that navigated 60-120 ms into a full-page screenshot,
    /// 0 of 20 with the timers held).
    /// </summary>
    /// <param name="page">The page.</param>
    /// <returns>The hold; disposing it lets time flow again.</returns>
    public static async Task<IAsyncDisposable> HoldTimersAsync(IPage page)
    {
        // The clock can only be paused at a time still ahead of it: a second ahead of what the page reads now.
        // Timers due in that second run first; none of the pages held here has one that navigates that soon.
        var now = await page.EvaluateAsync<double>("() => Date.now()");
        await page.Clock.PauseAtAsync(DateTimeOffset.FromUnixTimeMilliseconds((long)now + 1_000).UtcDateTime);
        return new TimerHold(page);
    }

    /// <summary>
    /// With the page's timers held (<see cref="HoldTimersAsync"/>), lets them run in steps of 100 ms of the
    /// page's time, each after 100 ms of real time, until <paramref name="locator"/> is visible, then keeps
    /// them held: the state the page shows then stays for a screenshot even if a timer would end it.
    /// </summary>
    /// <param name="page">The page.</param>
    /// <param name="locator">What to wait for.</param>
    /// <param name="within">The most real time to wait.</param>
    /// <returns>A task that fails with a <see cref="TimeoutException"/> past <paramref name="within"/>.</returns>
    public static async Task RunTimersUntilVisibleAsync(IPage page, ILocator locator, TimeSpan within)
    {
        var waited = Stopwatch.StartNew();
        while (!await locator.IsVisibleAsync())
        {
            if (waited.Elapsed > within)
            {
                throw new TimeoutException($"{locator} was not visible within {within.TotalSeconds:0} s.");
            }

            await page.Clock.RunForAsync(100);
            await Task.Delay(100);
        }
    }

    private sealed class TimerHold(IPage page) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await page.Clock.ResumeAsync();
    }

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
