using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Tessera.Demo;

/// <summary>
/// OpenTelemetry for each instance: the Tessera meter and activity source (and ASP.NET Core's own
/// request metrics), always scraped at <c>/metrics</c> (Prometheus text), and also exported to the
/// console or to an OTLP collector when <c>--otel console|otlp</c> (or <c>TESSERA_OTEL</c>) says so.
/// OTLP reads the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (default http://localhost:4317).
/// </summary>
internal static class DemoTelemetry
{
    public static void Configure(IServiceCollection services, DemoSettings settings, string instance)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("tessera-demo", serviceInstanceId: instance))
            .WithMetrics(m =>
            {
                m.AddMeter(TesseraMetrics.MeterName, "Microsoft.AspNetCore.Hosting").AddPrometheusExporter();
                switch (settings.Telemetry)
                {
                    case TelemetryExport.Console: m.AddConsoleExporter(); break;
                    case TelemetryExport.Otlp: m.AddOtlpExporter(); break;
                    default: break;
                }
            })
            .WithTracing(t =>
            {
                t.AddSource(TesseraTelemetry.ActivitySourceName);
                switch (settings.Telemetry)
                {
                    case TelemetryExport.Console: t.AddConsoleExporter(); break;
                    case TelemetryExport.Otlp: t.AddOtlpExporter(); break;
                    default: break;
                }
            });
    }
}
