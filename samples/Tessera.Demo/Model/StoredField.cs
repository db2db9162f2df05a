namespace Tessera.Demo.Model;

/// <summary>One field of the session's Redis hash.</summary>
/// <param name="Field">The hash field as stored.</param>
/// <param name="Label">What it is, for a person.</param>
/// <param name="IsMetadata">Whether Tessera wrote it (a '#' field) rather than the app.</param>
/// <param name="Bytes">The value's size in bytes.</param>
/// <param name="Preview">A readable, shortened form of the value.</param>
public sealed record StoredField(string Field, string Label, bool IsMetadata, int Bytes, string Preview);
