using System.ComponentModel.DataAnnotations;

namespace Tessera;

/// <summary>Compression of session values above a size threshold. Each value is marked, so values written before it was turned on (or off) still read.</summary>
public sealed class CompressionOptions
{
    /// <summary>Whether large values are compressed.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>Values at least this large are compressed (when that makes them smaller).</summary>
    /// <value>Default 1024 bytes.</value>
    [Range(64, int.MaxValue)]
    public int ThresholdBytes { get; set; } = 1024;

    /// <summary>The algorithm for new values; both decode.</summary>
    /// <value>Default <see cref="CompressionAlgorithm.Deflate"/>.</value>
    public CompressionAlgorithm Algorithm { get; set; } = CompressionAlgorithm.Deflate;
}
