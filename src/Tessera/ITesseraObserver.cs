namespace Tessera;

/// <summary>
/// Receives session events in the process (register implementations in the service collection).
/// Called inline on the request path: keep it quick, and hand slow work to a queue. An exception
/// thrown here is logged and never fails the request.
/// </summary>
public interface ITesseraObserver
{
    /// <summary>Called for each event.</summary>
    /// <param name="sessionEvent">The event.</param>
    void OnEvent(in TesseraEvent sessionEvent);
}
