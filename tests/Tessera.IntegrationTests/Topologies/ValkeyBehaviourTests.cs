namespace Tessera.IntegrationTests;

// The same behaviour suites as on redis-server and Garnet (and, in TopologyBehaviourTests, Sentinel and
// Cluster), on one standalone Valkey 8 server.
public sealed class ValkeySessionStoreTests(ValkeyFixture server) : SessionStoreBehaviour(server);

public sealed class ValkeySessionPipelineTests(ValkeyFixture server) : SessionPipelineBehaviour(server);

public sealed class ValkeyDropInTests(ValkeyFixture server) : DropInBehaviour(server);

public sealed class ValkeyLifecycleTests(ValkeyFixture server) : LifecycleBehaviour(server);

public sealed class ValkeyEncryptionTests(ValkeyFixture server) : EncryptionBehaviour(server);

public sealed class ValkeyDataAtRestTests(ValkeyFixture server) : DataAtRestBehaviour(server);

public sealed class ValkeyAttackerTests(ValkeyFixture server) : AttackerBehaviour(server);

public sealed class ValkeyDevicesTests(ValkeyFixture server) : DevicesBehaviour(server);

public sealed class ValkeyDeviceNamesTests(ValkeyFixture server) : DeviceNamesBehaviour(server);

public sealed class ValkeyTicketStoreTests(ValkeyFixture server) : TicketStoreBehaviour(server);

public sealed class ValkeyConcurrencyTests(ValkeyFixture server) : ConcurrencyBehaviour(server);

public sealed class ValkeyHeaderTransportTests(ValkeyFixture server) : HeaderTransportBehaviour(server);

public sealed class ValkeySlidingTests(ValkeyFixture server) : SlidingBehaviour(server);

public sealed class ValkeyTakeTests(ValkeyFixture server) : TakeBehaviour(server);

public sealed class ValkeyValueLifetimeTests(ValkeyFixture server) : ValueLifetimeBehaviour(server);
