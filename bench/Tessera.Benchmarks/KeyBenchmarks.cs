using BenchmarkDotNet.Attributes;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Benchmarks;

/// <summary>
/// Naming a session's key, once per request. Before issue 13 the key was the prefix and the raw id
/// (the baseline, the old code); now it is the prefix and the handle, base64url(SHA-256(id)), so no
/// key seen in Redis is a cookie. The difference is the per-request price of that.
/// </summary>
[Config(typeof(BenchConfig))]
public class KeyBenchmarks
{
    private const string Prefix = "session:";
    private string _id = string.Empty;

    [GlobalSetup]
    public void Setup() => _id = SessionIds.NewId();

    [Benchmark(Baseline = true, Description = "old: prefix + raw id")]
    public RedisKey RawIdKey() => string.Concat(Prefix, _id);

    [Benchmark(Description = "SessionIds.Handle (SHA-256 of 43 bytes, base64url)")]
    public string Handle() => SessionIds.Handle(_id);

    [Benchmark(Description = "new: prefix + handle")]
    public RedisKey HandleKey() => SessionLayout.SessionKey(Prefix, SessionIds.Handle(_id));
}
