namespace Tessera;

/// <summary>
/// The client of a request, as a device record shows it ("last seen from"). Recorded with the sliding
/// refresh, so at most once per refresh granularity; control characters are stripped when shown.
/// </summary>
/// <param name="Ip">The client address, or null.</param>
/// <param name="UserAgent">The user agent, or null.</param>
internal sealed record SessionClient(string? Ip, string? UserAgent);

/// <summary>
/// Describes the client only when asked: the sliding refresh asks, at most once per granularity, so a
/// read that is not due pays nothing for formatting an address or cleaning a user agent.
/// </summary>
internal interface IClientSource
{
    /// <summary>The client of the current request.</summary>
    /// <returns>Its address and user agent.</returns>
    SessionClient Describe();
}

/// <summary>A client already known.</summary>
/// <param name="client">The client.</param>
internal sealed class FixedClientSource(SessionClient client) : IClientSource
{
    public SessionClient Describe() => client;
}
