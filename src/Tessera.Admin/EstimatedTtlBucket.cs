namespace Tessera.Admin;

/// <summary>One bar of an estimated TTL histogram.</summary>
/// <param name="Label">Such as <c>&lt; 5m</c> or <c>none</c>.</param>
/// <param name="UpperBound">The bucket's exclusive upper bound; <see langword="null"/> for the last bucket and for "no TTL".</param>
/// <param name="Count">Sessions in the bucket, estimated.</param>
public sealed record EstimatedTtlBucket(string Label, TimeSpan? UpperBound, Estimate Count);
