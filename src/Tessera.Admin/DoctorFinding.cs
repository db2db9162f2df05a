namespace Tessera.Admin;

/// <summary>One result of <see cref="RedisDoctor"/>.</summary>
/// <param name="Check">A stable name, such as <c>persistence</c> or <c>maxmemory-policy</c>.</param>
/// <param name="Severity">How serious it is.</param>
/// <param name="Message">What was found, in one line.</param>
/// <param name="Fix">How to fix it, in one line; <see langword="null"/> when nothing needs fixing.</param>
/// <param name="Server">The server it is about, or <see langword="null"/> for the deployment as a whole.</param>
public sealed record DoctorFinding(string Check, FindingSeverity Severity, string Message, string? Fix = null, string? Server = null);
