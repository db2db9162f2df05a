namespace Tessera.Admin;

/// <summary>What Tessera holds about one user: their devices and each session's values (a GDPR export).</summary>
/// <param name="UserId">The user.</param>
/// <param name="ExportedAt">When the export was taken.</param>
/// <param name="Devices">The devices, as a devices page lists them.</param>
/// <param name="Sessions">Each session and login record, with its values decoded.</param>
public sealed record UserExport(string UserId, DateTimeOffset ExportedAt, IReadOnlyList<SessionInfo> Devices, IReadOnlyList<ExportedSession> Sessions);

/// <summary>One session or login record of an export.</summary>
/// <param name="Handle">Its handle (not a credential).</param>
/// <param name="Metadata">Its metadata.</param>
/// <param name="Values">Its values, decoded; a login's value is its serialized authentication ticket.</param>
public sealed record ExportedSession(string Handle, SessionMetadata Metadata, IReadOnlyDictionary<string, byte[]> Values)
{
    /// <summary>Whether the values could be decoded; when not (a retired encryption key, a value written by hand), <see cref="Values"/> is empty.</summary>
    public bool Decoded { get; init; } = true;

    /// <summary>When the <see cref="Values"/> that have their own lifetime expire (values past it are not exported).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Expiries { get; init; } = new Dictionary<string, DateTimeOffset>();
}
