using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.DataProtection;

namespace Tessera.Benchmarks;

/// <summary>
/// ID generation and cookie parsing. The stock session's cookie is a Guid protected with
/// ASP.NET Data Protection, so each request pays an Unprotect; Tessera's is 256 random bits whose
/// format is checked before Redis is asked.
/// </summary>
[Config(typeof(BenchConfig))]
public class IdBenchmarks
{
    private readonly IDataProtector _protector = DataProtectionProvider.Create("bench").CreateProtector("Microsoft.AspNetCore.Session");
    private string _stockCookie = string.Empty;
    private string _tesseraCookie = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _stockCookie = _protector.Protect(Guid.NewGuid().ToString());
        _tesseraCookie = SessionIds.NewId();
    }

    [Benchmark(Baseline = true, Description = "stock: new Guid id + Protect")]
    [BenchmarkCategory("new")]
    public string StockNewId() => _protector.Protect(Guid.NewGuid().ToString());

    [Benchmark(Description = "Tessera: NewId (32 CSPRNG bytes)")]
    [BenchmarkCategory("new")]
    public string TesseraNewId() => SessionIds.NewId();

    [Benchmark(Description = "stock: Unprotect cookie")]
    [BenchmarkCategory("parse")]
    public string StockParseCookie() => _protector.Unprotect(_stockCookie);

    [Benchmark(Description = "Tessera: IsValid cookie")]
    [BenchmarkCategory("parse")]
    public bool TesseraParseCookie() => SessionIds.IsValid(_tesseraCookie);
}
