using Tessera.TestUtils;

[assembly: AssemblyFixture(typeof(Tessera.IntegrationTests.ClusterFixture))]

namespace Tessera.IntegrationTests;

/// <summary>
/// A Redis Cluster of three masters with one replica each, started once per test run. The endpoint
/// lists every node; StackExchange.Redis discovers the slot map and follows MOVED and ASK.
/// </summary>
public sealed class ClusterFixture : ServerFixture
{
    private RedisClusterTopology? _topology;

    /// <inheritdoc/>
    public override string Name => "cluster";

    /// <inheritdoc/>
    public override string Endpoint => _topology!.Configuration;

    /// <summary>The running cluster.</summary>
    public RedisClusterTopology Topology => _topology!;

    /// <inheritdoc/>
    protected override void StartServer() => _topology = RedisClusterTopology.Start();

    /// <inheritdoc/>
    protected override void StopServer() => _topology?.Dispose();
}
