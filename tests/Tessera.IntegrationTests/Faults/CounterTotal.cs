using System.Diagnostics.Metrics;

namespace Tessera.IntegrationTests;

/// <summary>Sums one counter of the <c>Tessera</c> meter while it lives (every store in the process: use in a test that owns its app).</summary>
public sealed class CounterTotal : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    /// <summary>Starts listening.</summary>
    /// <param name="instrument">The counter's name.</param>
    public CounterTotal(string instrument)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == TesseraMetrics.MeterName && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
        _listener.Start();
    }

    /// <summary>The sum so far.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <inheritdoc/>
    public void Dispose() => _listener.Dispose();
}
