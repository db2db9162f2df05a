using Xunit;

namespace Tessera.IntegrationTests;

/// <summary>Tests that assert latencies: run without the rest of the assembly beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Timing";
}
