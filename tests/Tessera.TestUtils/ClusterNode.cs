namespace Tessera.TestUtils;

/// <summary>One line of <c>CLUSTER NODES</c>: a node, its role and the slots it serves.</summary>
/// <param name="Id">The node id.</param>
/// <param name="Port">Its client port on 127.0.0.1.</param>
/// <param name="IsMaster">Whether it is a master.</param>
/// <param name="MasterId">The master a replica follows, or null.</param>
/// <param name="Slots">The slot ranges a master serves (inclusive).</param>
public sealed record ClusterNode(string Id, int Port, bool IsMaster, string? MasterId, IReadOnlyList<(int Start, int End)> Slots)
{
    /// <summary>Whether this node serves a slot.</summary>
    /// <param name="slot">The slot.</param>
    /// <returns><see langword="true"/> when one of its ranges holds the slot.</returns>
    public bool Serves(int slot) => Slots.Any(r => r.Start <= slot && slot <= r.End);
}
