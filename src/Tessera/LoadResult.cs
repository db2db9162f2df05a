namespace Tessera;

/// <summary>The outcome of loading a session.</summary>
/// <param name="Status">What was found.</param>
/// <param name="Record">The session when <paramref name="Status"/> is <see cref="LoadStatus.Found"/>.</param>
/// <param name="RotatedTo">The new identifier when <paramref name="Status"/> is <see cref="LoadStatus.Rotated"/>.</param>
public readonly record struct LoadResult(LoadStatus Status, SessionRecord? Record = null, string? RotatedTo = null);
