namespace Tessera.IntegrationTests;

// The same behaviour suites as on one redis-server and on Garnet, through Sentinel and on a Cluster.
public sealed class SentinelSessionStoreTests(SentinelFixture server) : SessionStoreBehaviour(server);

public sealed class SentinelSessionPipelineTests(SentinelFixture server) : SessionPipelineBehaviour(server);

public sealed class SentinelLifecycleTests(SentinelFixture server) : LifecycleBehaviour(server);

public sealed class SentinelEncryptionTests(SentinelFixture server) : EncryptionBehaviour(server);

public sealed class ClusterSessionStoreTests(ClusterFixture server) : SessionStoreBehaviour(server);

public sealed class ClusterSessionPipelineTests(ClusterFixture server) : SessionPipelineBehaviour(server);

// Rotation (old and new key in different slots) and the user index (its own key) on real slots.
public sealed class ClusterLifecycleTests(ClusterFixture server) : LifecycleBehaviour(server);

public sealed class ClusterEncryptionTests(ClusterFixture server) : EncryptionBehaviour(server);

public sealed class SentinelAttackerTests(SentinelFixture server) : AttackerBehaviour(server);

public sealed class ClusterAttackerTests(ClusterFixture server) : AttackerBehaviour(server);

public sealed class ClusterDevicesTests(ClusterFixture server) : DevicesBehaviour(server);

public sealed class ClusterTicketStoreTests(ClusterFixture server) : TicketStoreBehaviour(server);

// A sign-in that replaces a login ends the old one and stores a new one: through Sentinel too.
public sealed class SentinelTicketStoreTests(SentinelFixture server) : TicketStoreBehaviour(server);

public sealed class SentinelDataAtRestTests(SentinelFixture server) : DataAtRestBehaviour(server);

public sealed class ClusterDataAtRestTests(ClusterFixture server) : DataAtRestBehaviour(server);
