namespace Tessera.Demo.Model;

/// <summary>A form that was refused: which one, why, and what was typed (shortened), to show it again.</summary>
/// <param name="Form">login, ttl, count, logout, logout-others.</param>
/// <param name="Message">What is wrong, for a person.</param>
/// <param name="Value">What was typed, shortened, or <see langword="null"/>.</param>
/// <param name="Field">The input that is wrong, or <see langword="null"/> for the form as a whole.</param>
public sealed record FormError(string Form, string Message, string? Value = null, string? Field = null);
