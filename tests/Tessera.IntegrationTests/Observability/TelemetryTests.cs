using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Tessera.IntegrationTests;

/// <summary>
/// The <c>Tessera</c> meter and activity source as an OpenTelemetry SDK exports them (in-memory
/// exporter) for operations on a real redis-server. Spans are told apart from parallel tests by their
/// trace, metrics by a tag on this test's own meter.
/// </summary>
public sealed class TelemetryTests(RedisFixture redis)
{
    [Fact]
    public async Task StoreOperations_EmitClientSpansWithRedisConventions_AndRotationRevocationSpans()
    {
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(TesseraTelemetry.ActivitySourceName, "test").AddInMemoryExporter(spans).Build();
        using var testSource = new ActivitySource("test");
        var store = redis.CreateStore();
        string traceId;
        using (var root = testSource.StartActivity("test-root"))
        {
            Assert.NotNull(root);
            traceId = root.TraceId.ToString();
            var id = SessionIds.NewId();
            var changes = new SessionChanges();
            changes.Set("a", [1, 2, 3]);
            Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes)).Status);
            var loaded = await store.LoadAsync(id);
            var more = new SessionChanges();
            more.Set("b", [4]);
            Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(id, more)).Status);
            await store.IncrementAsync(id, "n");
            var rotated = await store.RotateAsync(loaded.Record!, new SessionChanges());
            Assert.True(await store.Users.RevokeAsync(rotated.SessionId));
        }

        tracer.ForceFlush();
        tracer.Dispose(); // stop listening: parallel tests' spans would otherwise be added while this one reads
        var mine = spans.Where(s => s.TraceId.ToString() == traceId && s.Source.Name == TesseraTelemetry.ActivitySourceName).ToList();
        var names = mine.Select(static s => s.DisplayName).ToList();
        foreach (var expected in new[] { "tessera.create", "tessera.load", "tessera.commit", "tessera.incr", "tessera.rotation", "tessera.rotate", "tessera.revocation", "tessera.delete", "tessera.replica_role" })
        {
            Assert.Contains(expected, names);
        }

        foreach (var client in mine.Where(static s => s.Kind == ActivityKind.Client))
        {
            Assert.Equal("redis", client.GetTagItem("db.system.name"));
            // Scripts are EVALSHA, a load too (its read script, on this standalone server; HGETALL on a Cluster); the user
            // index's upkeep names its own command (ZREM, GET, HMGET),
            // as do the revocation's notice (PUBLISH) and its question whether the primary has replicas (ROLE; no WAIT
            // on a server without replicas).
            var command = Assert.IsType<string>(client.GetTagItem("db.operation.name"));
            Assert.Equal(command is "ZREM" or "GET" or "HMGET" or "PUBLISH" or "ROLE" ? command : "EVALSHA", command);
            Assert.Equal("ok", client.GetTagItem("tessera.outcome"));
            Assert.Equal(ActivityStatusCode.Unset, client.Status);
        }

        var rotation = mine.Single(static s => s.DisplayName == "tessera.rotation");
        Assert.Equal(ActivityKind.Internal, rotation.Kind);
        var children = mine.Where(s => s.ParentSpanId == rotation.SpanId).Select(static s => s.DisplayName).ToList();
        Assert.Contains("tessera.create", children);
        Assert.Contains("tessera.rotate", children);
        var revocation = mine.Single(static s => s.DisplayName == "tessera.revocation");
        Assert.Contains(mine, s => s.ParentSpanId == revocation.SpanId && s.DisplayName == "tessera.delete");
        Assert.DoesNotContain(mine, s => s.DisplayName == "tessera.replica_wait");
    }

    [Fact]
    public async Task StoreOperations_RecordDurationsInSecondsByOperation()
    {
        var metrics = new List<Metric>();
        var run = Guid.NewGuid().ToString("N");
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(TesseraMetrics.MeterName).AddInMemoryExporter(metrics).Build();
        using var factory = new TaggedMeterFactory(run);
        var store = StoreWith(new TesseraMetrics(factory), redis.Endpoint);
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("a", [1]);
        await store.CreateAsync(id, changes);
        for (var n = 0; n < 5; n++)
        {
            await store.LoadAsync(id);
        }

        meters.ForceFlush(); // the only export: the periodic one is a minute away, so the list stays still
        var mine = metrics.Where(m => m.MeterTags?.Any(t => t.Key == "test.run" && (string?)t.Value == run) == true).ToList();
        var operation = mine.Single(static m => m.Name == "tessera.operation.duration");
        Assert.Equal("s", operation.Unit);
        Assert.Equal(MetricType.Histogram, operation.MetricType);
        var points = Points(operation);
        var load = Assert.Single(points, p => Tag(p, "tessera.operation") == "load");
        Assert.Equal(5, load.GetHistogramCount());
        Assert.Equal("redis", Tag(load, "db.system.name"));
        Assert.Equal("ok", Tag(load, "tessera.outcome"));
        Assert.Null(Tag(load, "error.type"));
        Assert.InRange(load.GetHistogramSum(), 0, 5 * 2.0); // seconds: five local loads take well under the 2 s bound each
        Assert.Single(points, p => Tag(p, "tessera.operation") == "create");

        var loadDuration = mine.Single(static m => m.Name == "tessera.load.duration");
        Assert.Equal("s", loadDuration.Unit);
        Assert.Equal(5, Points(loadDuration).Sum(static p => p.GetHistogramCount()));
        Assert.Equal(1, Points(mine.Single(static m => m.Name == "tessera.sessions.created")).Sum(static p => p.GetSumLong()));
    }

    [Fact]
    public async Task Load_RedisUnreachable_SpanAndHistogramCarryErrorType()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        var run = Guid.NewGuid().ToString("N");
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(TesseraTelemetry.ActivitySourceName, "test").AddInMemoryExporter(spans).Build();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(TesseraMetrics.MeterName).AddInMemoryExporter(metrics).Build();
        using var factory = new TaggedMeterFactory(run);
        using var testSource = new ActivitySource("test");
        var port = Tessera.TestUtils.FreePort.Get();
        var store = StoreWith(new TesseraMetrics(factory), $"127.0.0.1:{port},connectTimeout=200", TimeSpan.FromMilliseconds(300));
        string traceId;
        using (var root = testSource.StartActivity("test-root"))
        {
            traceId = root!.TraceId.ToString();
            await Assert.ThrowsAsync<TesseraUnavailableException>(() => store.LoadAsync(SessionIds.NewId()));
        }

        tracer.ForceFlush();
        meters.ForceFlush();
        tracer.Dispose(); // stop listening before reading the exported list (parallel tests add spans too)
        var span = Assert.Single(spans, s => s.TraceId.ToString() == traceId && s.DisplayName == "tessera.load");
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Contains((string?)span.GetTagItem("error.type"), new[] { "timeout", "connection" });
        Assert.Equal("error", span.GetTagItem("tessera.outcome"));
        var operation = metrics.Single(m => m.Name == "tessera.operation.duration" && m.MeterTags?.Any(t => (string?)t.Value == run) == true);
        var point = Assert.Single(Points(operation));
        Assert.Equal("error", Tag(point, "tessera.outcome"));
        Assert.Equal(span.GetTagItem("error.type"), Tag(point, "error.type"));
    }

    private static RedisSessionStore StoreWith(TesseraMetrics metrics, string configuration, TimeSpan? timeout = null)
    {
        var options = Options.Create(new TesseraOptions { Configuration = configuration, KeyPrefix = "t:telemetry:", OperationTimeout = timeout ?? TimeSpan.FromSeconds(2) });
        return new RedisSessionStore(new TesseraConnection(options), options, metrics: metrics);
    }

    private static List<MetricPoint> Points(Metric metric)
    {
        var points = new List<MetricPoint>();
        foreach (ref readonly var p in metric.GetMetricPoints())
        {
            points.Add(p);
        }

        return points;
    }

    private static string? Tag(MetricPoint point, string name)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    /// <summary>Creates this test's meters with a tag naming the run, so parallel tests' measurements stay out.</summary>
    private sealed class TaggedMeterFactory(string run) : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = [new("test.run", run)], Scope = this });
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
