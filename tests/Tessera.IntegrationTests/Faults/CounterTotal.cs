using System.Diagnostics.Metrics;

namespace Tessera.IntegrationTests;

/// <summary>Sums one counter instrument (one app's, so tests in parallel do not mix) while it lives.</summary>
public sealed class CounterTotal : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    /// <summary>Starts listening.</summary>
    /// <param name="instrument">The counter.</param>
    public CounterTotal(Counter<long> instrument)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (ReferenceEquals(i, instrument))
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
