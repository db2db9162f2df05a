namespace Tessera.IntegrationTests;

// The same behaviour suites as on one redis-server and on Garnet, through Sentinel and on a Cluster.
public sealed class SentinelSessionStoreTests(SentinelFixture server) : SessionStoreBehaviour(server);

public sealed class SentinelSessionPipelineTests(SentinelFixture server) : SessionPipelineBehaviour(server);

public sealed class ClusterSessionStoreTests(ClusterFixture server) : SessionStoreBehaviour(server);

public sealed class ClusterSessionPipelineTests(ClusterFixture server) : SessionPipelineBehaviour(server);
