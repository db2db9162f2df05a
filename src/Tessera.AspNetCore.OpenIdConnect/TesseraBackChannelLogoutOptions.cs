namespace Tessera.AspNetCore.OpenIdConnect;

/// <summary>How the back-channel logout endpoint (<c>MapTesseraBackChannelLogout</c>) checks a logout token.</summary>
public sealed class TesseraBackChannelLogoutOptions
{
    /// <summary>How old a logout token may be (by its <c>iat</c>), beyond <see cref="ClockSkew"/>.</summary>
    /// <value>Default 5 minutes. Between 10 seconds and 1 day.</value>
    public TimeSpan MaxTokenAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How far the provider's clock may be from this server's (for <c>iat</c> and <c>exp</c>).</summary>
    /// <value>Default 1 minute. Between 0 and 10 minutes.</value>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether a token whose <c>jti</c> was accepted before is refused (the <c>jti</c> is kept in Redis,
    /// under the store's prefix, for as long as the token could be accepted). A token without <c>jti</c>
    /// is then refused, as the specification requires the claim.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool DetectReplay { get; set; } = true;

    /// <summary>
    /// The app's user key for a subject (<c>iss</c>, <c>sub</c>) of a token that carries no <c>sid</c>:
    /// every login of that user is ended. Null (the default) asks the ticket store
    /// (<c>TesseraAuthenticationOptions.UserKeySelector</c>) with a principal shaped as the OpenID Connect
    /// handler makes it: a <c>NameIdentifier</c> and a <c>sub</c> claim of that subject, issued by the provider.
    /// </summary>
    public Func<string, string, string?>? SubjectUserKey { get; set; }

    /// <summary>Checks the ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    internal void Validate()
    {
        if (MaxTokenAge < TimeSpan.FromSeconds(10) || MaxTokenAge > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTokenAge), MaxTokenAge, "MaxTokenAge must be between 10 seconds and 1 day.");
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(ClockSkew), ClockSkew, "ClockSkew must be between 0 and 10 minutes.");
        }
    }
}
