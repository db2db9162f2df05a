namespace Tessera;

/// <summary>A session as listed for its user ("your devices") or by an operator.</summary>
/// <param name="Id">The session identifier. It is a bearer credential: show a prefix, never log it whole.</param>
/// <param name="Metadata">Created, last seen, client address, user agent, expiry.</param>
public sealed record SessionInfo(string Id, SessionMetadata Metadata);
