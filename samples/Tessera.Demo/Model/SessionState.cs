namespace Tessera.Demo.Model;

/// <summary>The session of this request, as the app sees it and as Redis stores it.</summary>
/// <param name="IdPrefix">The first characters of its identifier (the whole one is a credential).</param>
/// <param name="User">The user it is bound to, if any.</param>
/// <param name="Counter">The counter, if it was ever clicked.</param>
/// <param name="Metadata">What Tessera keeps about it.</param>
/// <param name="Stored">The raw Redis view.</param>
/// <param name="Devices">The user's sessions; empty when not logged in.</param>
public sealed record SessionState(
    string IdPrefix,
    string? User,
    long? Counter,
    SessionMetadata? Metadata,
    StoredSession Stored,
    IReadOnlyList<DeviceRow> Devices);
