namespace Tessera;

/// <summary>The compression of large session values.</summary>
public enum CompressionAlgorithm
{
    /// <summary>Brotli at quality 1 (the BCL's), the default: the best ratio per CPU for session-sized values in docs/benchmarks.md.</summary>
    Brotli = 2,

    /// <summary>Raw Deflate at the fastest level (the BCL's).</summary>
    Deflate = 1,
}
