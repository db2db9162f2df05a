using Microsoft.Extensions.Logging;

namespace Tessera;

/// <summary>The store's event observers: every lifecycle event goes to each; one that throws is logged, never allowed to fail the request.</summary>
internal sealed class SessionEvents
{
    private readonly ITesseraObserver[] _observers;
    private readonly ILogger _logger;

    /// <summary>Creates the list.</summary>
    /// <param name="observers">The observers, or null for none.</param>
    /// <param name="logger">Where an observer's failure is logged.</param>
    public SessionEvents(IEnumerable<ITesseraObserver>? observers, ILogger logger)
    {
        _observers = observers?.ToArray() ?? [];
        _logger = logger;
    }

    /// <summary>Tells every observer.</summary>
    /// <param name="sessionEvent">The event.</param>
    public void Raise(in TesseraEvent sessionEvent)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnEvent(sessionEvent);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                StoreLog.ObserverFailed(_logger, observer.GetType().Name, ex);
            }
        }
    }
}
