namespace Tessera.Admin;

/// <summary>Everything about one session: its summary, the other metadata, and its values (names and sizes; bytes when decodable).</summary>
/// <param name="Summary">Times, size, user, TTL.</param>
/// <param name="ClientIp">The client address recorded, if any.</param>
/// <param name="UserAgent">The user agent recorded, if any.</param>
/// <param name="Fields">The caller values, ordered by key.</param>
public sealed record SessionDetails(SessionSummary Summary, string? ClientIp, string? UserAgent, IReadOnlyList<SessionField> Fields);
