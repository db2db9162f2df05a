namespace Tessera.Admin;

/// <summary>Every finding of one <see cref="RedisDoctor"/> run.</summary>
/// <param name="Findings">The findings, per server in check order.</param>
public sealed record DoctorReport(IReadOnlyList<DoctorFinding> Findings)
{
    /// <summary>The most serious severity found.</summary>
    public FindingSeverity Worst => Findings.Count == 0 ? FindingSeverity.Ok : Findings.Max(static f => f.Severity);

    /// <summary>Whether any finding is an error.</summary>
    public bool HasErrors => Worst == FindingSeverity.Error;

    /// <summary>How many findings have a severity.</summary>
    /// <param name="severity">The severity.</param>
    /// <returns>The count.</returns>
    public int Count(FindingSeverity severity) => Findings.Count(f => f.Severity == severity);
}
