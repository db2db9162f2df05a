using System.Buffers;
using System.Globalization;

namespace Tessera.Demo;

/// <summary>What the demo's forms accept, with the message a person sees when the input is wrong.</summary>
internal static class InputRules
{
    private static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");

    /// <summary>The longest username.</summary>
    public const int MaxUsernameLength = 32;

    /// <summary>The shortest idle timeout a person can pick, in seconds.</summary>
    public const int MinIdleSeconds = 5;

    /// <summary>The longest idle timeout a person can pick, in seconds (one day).</summary>
    public const int MaxIdleSeconds = 86_400;

    /// <summary>Checks a username: 1 to 32 letters, digits or <c>. _ - @</c>.</summary>
    /// <param name="raw">What the form sent.</param>
    /// <param name="username">The username, when valid.</param>
    /// <returns>The problem, or <see langword="null"/> when valid.</returns>
    public static string? CheckUsername(string? raw, out string username)
    {
        username = raw?.Trim() ?? string.Empty;
        if (username.Length == 0)
        {
            return "Enter a username.";
        }

        if (username.Length > MaxUsernameLength)
        {
            return $"A username has at most {MaxUsernameLength} characters; this one has {username.Length:N0}.";
        }

        foreach (var c in username)
        {
            if (!(char.IsLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
            {
                return "A username may contain only letters, digits and . _ - @ (no spaces, no markup).";
            }
        }

        return null;
    }

    /// <summary>The longest password.</summary>
    public const int MaxPasswordLength = 128;

    /// <summary>Checks a password: 1 to 128 characters, taken as typed (never trimmed, never shown back).</summary>
    /// <param name="raw">What the form sent.</param>
    /// <returns>The problem, or <see langword="null"/> when acceptable.</returns>
    public static string? CheckPassword(string? raw) =>
        string.IsNullOrEmpty(raw) ? "Enter your password."
        : raw.Length > MaxPasswordLength ? $"A password has at most {MaxPasswordLength} characters."
        : null;

    /// <summary>
    /// A path to go back to after a confirmation: a local path (<c>/devices</c>), never another site
    /// (<c>//evil.example</c>, <c>/\evil.example</c>, <c>https://…</c>); <see langword="null"/> otherwise.
    /// </summary>
    /// <param name="raw">The <c>returnUrl</c> given.</param>
    /// <returns>The path, or null.</returns>
    public static string? LocalPath(string? raw) =>
        raw is { Length: > 0 and <= 512 } && raw[0] == '/' && (raw.Length == 1 || raw[1] is not '/' and not '\\')
        && !raw.Any(static c => char.IsControl(c) || c == '\\') && Uri.IsWellFormedUriString(raw, UriKind.Relative)
            ? raw
            : null;

    /// <summary>Checks an idle timeout in whole seconds, from 5 to 86400.</summary>
    /// <param name="raw">What the form sent.</param>
    /// <param name="seconds">The timeout, when valid.</param>
    /// <returns>The problem, or <see langword="null"/> when valid.</returns>
    public static string? CheckIdleSeconds(string? raw, out int seconds)
    {
        seconds = 0;
        var text = raw?.Trim() ?? string.Empty;
        if (text.Length == 0)
        {
            return "Enter the idle timeout in seconds.";
        }

        var negative = text[0] == '-';
        var digits = negative || text[0] == '+' ? text.AsSpan(1) : text.AsSpan();
        if (digits.Length == 0 || digits.ContainsAnyExcept(Digits))
        {
            return "The idle timeout must be a whole number of seconds, like 15.";
        }

        if (negative || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds < MinIdleSeconds)
        {
            if (!negative && digits.TrimStart('0').Length > 9)
            {
                return TooLong();
            }

            seconds = 0;
            return $"The idle timeout must be at least {MinIdleSeconds} seconds.";
        }

        if (seconds > MaxIdleSeconds)
        {
            seconds = 0;
            return TooLong();
        }

        return null;

        static string TooLong() => $"The idle timeout can be at most {MaxIdleSeconds:N0} seconds (one day).";
    }

    /// <summary>Shortens what a person typed for showing it back in the form.</summary>
    /// <param name="raw">The input.</param>
    /// <param name="max">The most characters to keep.</param>
    /// <returns>The input, cut with an ellipsis when longer.</returns>
    public static string Echo(string? raw, int max = 64) =>
        raw is null ? string.Empty : raw.Length <= max ? raw : string.Concat(raw.AsSpan(0, max), "…");
}
