namespace Tessera;

/// <summary>The compression of large session values.</summary>
public enum CompressionAlgorithm
{
    /// <summary>Raw Deflate at the fastest level (the BCL's), the default: twice as fast to decode as Brotli q1 on session-sized values, for 15% more bytes (docs/benchmarks.md); sessions are read far more often than written.</summary>
    Deflate = 1,

    /// <summary>Brotli at quality 1 (the BCL's): the smaller output, slower to decode.</summary>
    Brotli = 2,
}
