namespace Tessera.Demo;

/// <summary>Where the demo exports metrics and traces besides <c>/metrics</c>.</summary>
public enum TelemetryExport
{
    /// <summary>Only <c>/metrics</c> (Prometheus scraping).</summary>
    None,

    /// <summary>Also print them to the console.</summary>
    Console,

    /// <summary>Also send them to an OTLP collector (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>).</summary>
    Otlp,
}
