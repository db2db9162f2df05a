namespace Tessera.IntegrationTests;

/// <summary>One request of a <see cref="BoundedLoad"/>.</summary>
/// <param name="Client">The client's index.</param>
/// <param name="Path">The path it asked for.</param>
/// <param name="Start">When it was sent, on the load's clock.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Status">The HTTP status, or 0 when it hung past its timeout or failed without a response.</param>
/// <param name="Body">The response body.</param>
/// <param name="Error">What went wrong when there was no response.</param>
public sealed record LoadOutcome(int Client, string Path, TimeSpan Start, TimeSpan Duration, int Status, string Body, string? Error)
{
    /// <summary>When it finished, on the load's clock.</summary>
    public TimeSpan End => Start + Duration;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Start.TotalMilliseconds:0} ms +{Duration.TotalMilliseconds:0} client {Client} {Path} -> {Status} {Error ?? (Body.Length > 80 ? Body[..80] : Body)}";
}
