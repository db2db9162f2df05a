namespace Tessera;

/// <summary>A session as listed for its user ("your devices") or by an operator.</summary>
/// <param name="Handle">
/// The session's handle (<see cref="SessionIds.Handle"/> of its identifier): the name Redis holds it
/// under. Not a credential: presented as a cookie it opens nothing, so it may be shown and logged.
/// Compare it with <c>SessionIds.Handle(currentId)</c> to mark "this device"; revoke with
/// <see cref="RedisSessionStore.RevokeByHandleAsync"/>.
/// </param>
/// <param name="Metadata">Created, last seen, client address, user agent, expiry.</param>
public sealed record SessionInfo(string Handle, SessionMetadata Metadata);
