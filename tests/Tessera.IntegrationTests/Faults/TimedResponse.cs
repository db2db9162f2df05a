using System.Net;

namespace Tessera.IntegrationTests;

/// <summary>One request of a fault test: when it started and ended (ms since the test's clock started), and what it got.</summary>
/// <param name="StartMs">Sent at.</param>
/// <param name="EndMs">Answered at.</param>
/// <param name="Status">The status.</param>
/// <param name="Body">The body.</param>
public readonly record struct TimedResponse(double StartMs, double EndMs, HttpStatusCode Status, string Body)
{
    /// <summary>How long it took, in ms.</summary>
    public double Ms => EndMs - StartMs;
}
