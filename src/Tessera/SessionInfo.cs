namespace Tessera;

/// <summary>A device as listed for its user ("your devices") or by an operator.</summary>
/// <param name="Handle">
/// The device's handle: of its login (a cookie-authentication ticket) when it has one, else of its
/// session (<see cref="SessionIds.Handle"/> of the identifier, the name Redis holds it under). Not a
/// credential: presented as a cookie it opens nothing, so it may be shown and logged. Revoke the
/// device with <see cref="SessionUsers.RevokeByHandleAsync"/>.
/// </param>
/// <param name="Metadata">
/// Created, authenticated at, last seen (the latest of the device's login and sessions), first and
/// last client address and user agent, expiry.
/// </param>
public sealed record SessionInfo(string Handle, SessionMetadata Metadata)
{
    /// <summary>The handles of the sessions signed in with this device's login (listed and revoked with it).</summary>
    public IReadOnlyList<string> LinkedHandles { get; init; } = [];

    /// <summary>Whether this is the device of the request that listed it.</summary>
    public bool IsCurrent { get; init; }
}
