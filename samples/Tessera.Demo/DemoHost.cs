using StackExchange.Redis;

namespace Tessera.Demo;

/// <summary>
/// The whole demo: a Redis (an embedded Garnet unless one is given), the app instances and the
/// round-robin proxy. Dispose it to stop everything, proxy first, Redis last.
/// </summary>
public sealed class DemoHost : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];
    private EmbeddedGarnet? _garnet;
    private WebApplication? _proxy;
    private int _disposed;

    private DemoHost(DemoSettings settings) => Settings = settings;

    /// <summary>The settings it runs with.</summary>
    public DemoSettings Settings { get; }

    /// <summary>The Redis configuration in use.</summary>
    public string Redis { get; private set; } = string.Empty;

    /// <summary>Whether Redis is the embedded Garnet.</summary>
    public bool EmbeddedRedis => _garnet is not null;

    /// <summary>The proxy's URL: open this one.</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The app instances.</summary>
    public IReadOnlyList<InstanceInfo> Instances { get; private set; } = [];

    /// <summary>Starts the demo.</summary>
    /// <param name="settings">What to start.</param>
    /// <param name="log">Where to report what happens while starting.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running demo.</returns>
    /// <exception cref="DemoStartException">Redis cannot be reached, or a server cannot start.</exception>
    public static async Task<DemoHost> StartAsync(DemoSettings settings, TextWriter? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        log ??= TextWriter.Null;
        var host = new DemoHost(settings);
        try
        {
            await host.StartCoreAsync(log, cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(TextWriter log, CancellationToken cancellationToken)
    {
        if (Settings.Redis is { } redis)
        {
            Redis = redis;
            await CheckRedisAsync(redis);
        }
        else
        {
            _garnet = EmbeddedGarnet.Start();
            Redis = _garnet.Endpoint;
        }

        var instances = Enumerable.Range(1, Settings.Instances).Select(static n => new InstanceInfo(n)).ToArray();
        Instances = instances;
        foreach (var info in instances)
        {
            _apps.Add(await DemoInstance.StartAsync(info, instances, Settings, Redis, cancellationToken));
        }

        var (proxy, port) = await ProxyServer.StartAsync(Settings.Port, instances, Settings, log, cancellationToken);
        _proxy = proxy;
        Url = new Uri($"http://127.0.0.1:{port}/");
    }

    private static async Task CheckRedisAsync(string redis)
    {
        ConfigurationOptions config;
        try
        {
            config = ConfigurationOptions.Parse(redis);
        }
        catch (ArgumentException ex)
        {
            throw new DemoStartException($"'{redis}' is not a Redis configuration ({ex.Message}). Use host:port, for example 127.0.0.1:6379.", ex);
        }

        config.AbortOnConnectFail = true;
        config.ConnectTimeout = 3000;
        config.ConnectRetry = 1;
        try
        {
            await using var mux = await ConnectionMultiplexer.ConnectAsync(config);
            await mux.GetDatabase().PingAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new DemoStartException(
                $"Cannot reach Redis at {redis}: {ex.Message}{Environment.NewLine}" +
                "Start it (for example: sudo apt-get install -y redis-server && redis-server --port 6379), " +
                "or leave out --redis and TESSERA_REDIS to use the embedded Garnet.",
                ex);
        }
    }

    /// <summary>Stops the proxy, then the instances, then the embedded Garnet (once).</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        if (_proxy is not null)
        {
            await StopAsync(_proxy, stopping.Token);
        }

        foreach (var app in Enumerable.Reverse(_apps))
        {
            await StopAsync(app, stopping.Token);
        }

        _garnet?.Dispose();
    }

    private static async Task StopAsync(WebApplication app, CancellationToken cancellationToken)
    {
        try
        {
            await app.StopAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping took too long: dispose anyway.
        }

        await app.DisposeAsync();
    }
}
