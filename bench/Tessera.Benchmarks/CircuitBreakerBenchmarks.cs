using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;

namespace Tessera.Benchmarks;

/// <summary>
/// What the circuit breaker costs every Redis call on the hot path: the store's guard around a call
/// whose reply is already there (so only the guard is measured, not Redis), with the breaker off
/// (the old path, a direct await) and on (Polly.Core's circuit breaker, closed).
/// </summary>
[Config(typeof(BenchConfig))]
public class CircuitBreakerBenchmarks
{
    private static readonly Task<int> Reply = Task.FromResult(42);
    private RedisSessionStore _off = null!;
    private RedisSessionStore _on = null!;

    [GlobalSetup]
    public void Setup()
    {
        _off = Store(enabled: false);
        _on = Store(enabled: true);
    }

    [Benchmark(Baseline = true, Description = "breaker off: direct await")]
    public Task<int> Off() => _off.GuardAsync(static (reply, _) => reply, Reply, "load", CancellationToken.None);

    [Benchmark(Description = "breaker on (Polly.Core, closed)")]
    public Task<int> On() => _on.GuardAsync(static (reply, _) => reply, Reply, "load", CancellationToken.None);

    private static RedisSessionStore Store(bool enabled)
    {
        var options = Options.Create(new TesseraOptions { Configuration = "127.0.0.1:1", CircuitBreaker = { Enabled = enabled } });
        return new RedisSessionStore(new TesseraConnection(options), options);
    }
}
