using System.ComponentModel.DataAnnotations;

namespace Tessera.AspNetCore;

/// <summary>How often live connections (Blazor Server circuits, SignalR connections) re-check their login or session.</summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = TrimmingJustifications.SourceGeneratedRange)]
public sealed class TesseraRevalidationOptions
{
    /// <summary>
    /// The interval between re-checks. Each costs one pipelined round trip per instance for all its
    /// SignalR connections (one <c>HMGET</c> per distinct login), and one per Blazor circuit.
    /// </summary>
    /// <value>Default 1 second: a revoked login loses its live connections within about this long on every instance.</value>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);
}
