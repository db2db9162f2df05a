using Tessera.Demo.Model;

namespace Tessera.Demo;

/// <summary>What a form POST ends in: a redirect to a page (post/redirect/get), or the page again with a refusal.</summary>
/// <param name="RedirectTo">Where to go on success.</param>
/// <param name="Status">The status code of a refusal.</param>
/// <param name="Error">The refusal.</param>
internal sealed record PostResult(string? RedirectTo, int Status, FormError? Error)
{
    /// <summary>Where the confirmation page, shown again with a refusal, still sends the user back to.</summary>
    public string? ReturnUrl { get; init; }

    /// <summary>Success: see the page at <paramref name="location"/>.</summary>
    /// <param name="location">A local path.</param>
    /// <returns>The result.</returns>
    public static PostResult Redirect(string location = "/") => new(location, StatusCodes.Status303SeeOther, null);

    /// <summary>Refused: show the page again with a message by the form.</summary>
    /// <param name="form">The form.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="value">What was typed.</param>
    /// <param name="status">The status code (400 unless said).</param>
    /// <param name="field">The input that is wrong, when it is one.</param>
    /// <returns>The result.</returns>
    public static PostResult Refuse(string form, string message, string? value = null, int status = StatusCodes.Status400BadRequest, string? field = null) =>
        new(null, status, new FormError(form, message, value is null ? null : InputRules.Echo(value), field));
}
