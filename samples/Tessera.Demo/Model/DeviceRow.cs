namespace Tessera.Demo.Model;

/// <summary>One of the user's devices, as <c>GetUserSessionsAsync</c> lists it.</summary>
/// <param name="Handle">Its handle (not a credential: the revoke form posts it).</param>
/// <param name="Current">Whether it is the device of this request.</param>
/// <param name="Linked">How many sessions are linked to its login (none without cookie-authentication tickets).</param>
/// <param name="Metadata">Created, authenticated at, last seen, first and last address and user agent, expiry.</param>
public sealed record DeviceRow(string Handle, bool Current, int Linked, SessionMetadata Metadata)
{
    /// <summary>The first characters of the handle, for the page.</summary>
    public string ShortHandle => SessionReader.Prefix(Handle);
}
