using Tessera.TestUtils;

[assembly: AssemblyFixture(typeof(Tessera.IntegrationTests.ValkeyFixture))]

namespace Tessera.IntegrationTests;

/// <summary>
/// A real valkey-server (Valkey 8, built once from the source tarball by tests/servers/valkey.sh), started
/// on a free loopback port and stopped by its PID: the managed services' engine, as one standalone server.
/// </summary>
public sealed class ValkeyFixture : ServerFixture
{
    private RedisServerProcess? _server;

    /// <inheritdoc/>
    public override string Name => "valkey";

    /// <inheritdoc/>
    public override string Endpoint => _server!.Endpoint;

    /// <inheritdoc/>
    protected override void StartServer() => _server = RedisServerProcess.StartValkey();

    /// <inheritdoc/>
    protected override void StopServer() => _server?.Dispose();
}
