namespace Tessera;

/// <summary>
/// The client of a request, as a device record shows it ("last seen from"). Recorded with the sliding
/// refresh, so at most once per refresh granularity; control characters are stripped when shown.
/// </summary>
/// <param name="Ip">The client address, or null.</param>
/// <param name="UserAgent">The user agent, or null.</param>
internal sealed record SessionClient(string? Ip, string? UserAgent);
