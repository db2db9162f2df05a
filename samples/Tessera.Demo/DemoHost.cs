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
            await WarmAsync(Redis);
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

    /// <summary>
    /// Sends the embedded Garnet the kinds of command the apps will (a list read, a hash write and read,
    /// a script, the capability probe's COMMAND INFO) once, with a generous bound. A server just started
    /// in this process compiles its command paths on first use, and its first COMMAND INFO loads its
    /// command table; on a busy machine the first app's probe held up its data-protection key read
    /// (queued behind it on the same connection) past the 2 s bound, and the demo did not start
    /// (seen once in a full test run: "Timeout performing LRANGE ... next: COMMAND"). Paid here, once.
    /// </summary>
    private static async Task WarmAsync(string redis)
    {
        var config = ConfigurationOptions.Parse(redis);
        config.AbortOnConnectFail = true;
        config.ConnectTimeout = config.SyncTimeout = config.AsyncTimeout = 30_000;
        try
        {
            await using var mux = await ConnectionMultiplexer.ConnectAsync(config);
            var db = mux.GetDatabase();
            RedisKey key = "tessera-demo:warm-up";
            await db.PingAsync();
            await db.ListRangeAsync(key);
            await db.HashSetAsync(key, "f", "v");
            await db.HashGetAllAsync(key);
            await db.ScriptEvaluateAsync("return redis.call('HLEN', KEYS[1])", [key]);
            await db.KeyDeleteAsync(key);
            // The apps' capability probe: Garnet loads its command table on the first COMMAND INFO.
            await db.ExecuteAsync("COMMAND", "INFO", "xadd", "hexpire", "publish");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new DemoStartException($"The embedded Garnet at {redis} did not answer within 30 s: {ex.Message}", ex);
        }
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
