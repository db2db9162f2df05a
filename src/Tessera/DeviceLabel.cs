namespace Tessera;

/// <summary>
/// A readable label of a device from its user agent: "Chrome on Windows", "Safari on iPhone". Two
/// ordered tables of tokens, browsers then operating systems; the first rule with a token in the user
/// agent names it (order matters: Edge and Opera say "Chrome/", Chrome says "Safari/"). Ordinal token
/// search over at most <see cref="MaxInput"/> characters, no regular expressions, so a hostile user agent
/// costs no more than a short one. A label only: never a security decision (a user agent is whatever
/// the client sends).
/// </summary>
/// <remarks>
/// Hand-written because no maintained parser restores from the package feed this project builds from
/// (UAParser, DeviceDetector.NET and MyCSharp.HttpUserAgentParser are not served; Wangkanai.Detection 7.4.0
/// fails to restore: its dependency Wangkanai.System is not served). It names the common browsers and systems, and says "Unknown browser" otherwise.
/// </remarks>
public static class DeviceLabel
{
    /// <summary>What a user agent with no known browser is called.</summary>
    public const string UnknownBrowser = "Unknown browser";

    /// <summary>How much of a user agent is looked at.</summary>
    public const int MaxInput = 512;

    // Ordered: the first rule with any of its tokens wins.
    private static readonly (string Name, string[] Tokens)[] Browsers =
    [
        ("Edge", ["Edg/", "EdgA/", "EdgiOS/", "Edge/"]),
        ("Opera", ["OPR/", "OPiOS/", "Opera"]),
        ("Samsung Internet", ["SamsungBrowser/"]),
        ("Yandex Browser", ["YaBrowser/"]),
        ("Vivaldi", ["Vivaldi/"]),
        ("Firefox", ["Firefox/", "FxiOS/"]),
        ("Chrome", ["CriOS/", "Chrome/", "Chromium/"]),
        ("Internet Explorer", ["MSIE ", "Trident/"]),
        ("Safari", ["Safari/"]),
        ("curl", ["curl/"]),
        ("Wget", ["Wget/"]),
    ];

    private static readonly (string Name, string[] Tokens)[] Systems =
    [
        ("iPhone", ["iPhone"]),
        ("iPad", ["iPad"]),
        ("Android", ["Android"]),
        ("ChromeOS", ["CrOS "]),
        ("Windows Phone", ["Windows Phone"]),
        ("Windows", ["Windows"]),
        ("macOS", ["Macintosh", "Mac OS X"]),
        ("Linux", ["Linux", "X11"]),
    ];

    /// <summary>The label of a user agent.</summary>
    /// <param name="userAgent">The user agent, or null.</param>
    /// <returns>"Browser on System", "Browser" when no system is named, or <see cref="UnknownBrowser"/> (with " on System" when one is).</returns>
    public static string Of(string? userAgent)
    {
        var text = (userAgent ?? string.Empty).AsSpan();
        if (text.Length > MaxInput)
        {
            text = text[..MaxInput];
        }

        var browser = First(Browsers, text) ?? UnknownBrowser;
        return First(Systems, text) is { } system ? string.Concat(browser, " on ", system) : browser;
    }

    private static string? First((string Name, string[] Tokens)[] rules, ReadOnlySpan<char> text)
    {
        foreach (var (name, tokens) in rules)
        {
            foreach (var token in tokens)
            {
                if (text.Contains(token, StringComparison.Ordinal))
                {
                    return name;
                }
            }
        }

        return null;
    }
}
