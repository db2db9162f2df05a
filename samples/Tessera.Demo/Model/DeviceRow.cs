namespace Tessera.Demo.Model;

/// <summary>One of the user's sessions ("devices").</summary>
/// <param name="IdPrefix">The first characters of its identifier.</param>
/// <param name="Current">Whether it is the session of this request.</param>
/// <param name="Metadata">Created, last seen, address, user agent, expiry.</param>
public sealed record DeviceRow(string IdPrefix, bool Current, SessionMetadata Metadata);
