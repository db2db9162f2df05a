using Tessera.TestUtils;

[assembly: AssemblyFixture(typeof(Tessera.IntegrationTests.SentinelFixture))]

namespace Tessera.IntegrationTests;

/// <summary>
/// Redis behind Sentinel (a master, a replica, three sentinels), started once per test run. The
/// endpoint is a StackExchange.Redis configuration with the sentinels and <c>serviceName=</c>, so
/// the store finds the master through Sentinel as a production app would.
/// </summary>
public sealed class SentinelFixture : ServerFixture
{
    private RedisSentinelTopology? _topology;

    /// <inheritdoc/>
    public override string Name => "sentinel";

    /// <inheritdoc/>
    public override string Endpoint => _topology!.Configuration;

    /// <summary>The running topology.</summary>
    public RedisSentinelTopology Topology => _topology!;

    /// <inheritdoc/>
    protected override void StartServer() => _topology = RedisSentinelTopology.Start();

    /// <inheritdoc/>
    protected override void StopServer() => _topology?.Dispose();
}
