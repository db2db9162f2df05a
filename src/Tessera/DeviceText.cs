namespace Tessera;

/// <summary>
/// The rule for text an app or a user sets on a device (its name, the sign-in method): control
/// characters and bidirectional overrides removed (<see cref="TerminalText"/>), so a hostile name cannot
/// drive an operator's terminal, whitespace trimmed, and a length bound, so it costs a session few bytes.
/// Markup is left as it is: every place that shows it (the dashboard, the demo) encodes it.
/// </summary>
public static class DeviceText
{
    /// <summary>The longest device name kept, in UTF-16 characters.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The longest sign-in method kept, in UTF-16 characters.</summary>
    public const int MaxMethodLength = 32;

    /// <summary>A device name as stored.</summary>
    /// <param name="name">The name as given.</param>
    /// <returns>The cleaned name, or null when nothing is left.</returns>
    public static string? Name(string? name) => Clean(name, MaxNameLength);

    /// <summary>A sign-in method as stored.</summary>
    /// <param name="method">The method as given.</param>
    /// <returns>The cleaned method, or null when nothing is left.</returns>
    public static string? Method(string? method) => Clean(method, MaxMethodLength);

    private static string? Clean(string? text, int max)
    {
        if (text is null)
        {
            return null;
        }

        // Bounded before the strip: a megabyte of input costs no more than a short one.
        var bounded = text.Length > 4 * max ? text[..(4 * max)] : text;
        var clean = TerminalText.Strip(bounded).Trim();
        if (clean.Length > max)
        {
            // Never cut a surrogate pair in half.
            var cut = char.IsHighSurrogate(clean[max - 1]) ? max - 1 : max;
            clean = clean[..cut].TrimEnd();
        }

        return clean.Length == 0 ? null : clean;
    }
}
