using System.Collections.Frozen;
using Tessera.Redis;

namespace Tessera;

/// <summary>
/// What the connected server can do, as far as any Tessera feature cares: the optional commands it
/// has, learned by <c>COMMAND INFO</c> (present on redis-server, Valkey and Garnet, and harmless on
/// all of them) on every connected primary, once per connection and again after a reconnect or a
/// failover. A feature that needs a command the server lacks turns itself off: Tessera never sends a
/// command the server does not have.
/// </summary>
public sealed class ServerCapabilities
{
    /// <summary>The optional commands probed: the event stream (<c>XADD</c>), replica acknowledgement (<c>WAIT</c>, <c>WAITAOF</c>), per-field expiry (<c>HEXPIRE</c>, <c>HGETDEL</c>), sharded and plain pub/sub (<c>SPUBLISH</c>, <c>PUBLISH</c>), key invalidations for the near cache (<c>CLIENT TRACKING</c>).</summary>
    public static IReadOnlyList<string> ProbedCommands { get; } = ["xadd", "xrange", "wait", "waitaof", "hexpire", "hgetdel", "spublish", "publish", "client|tracking"];

    /// <summary>Nothing known yet (not connected, or probing): every optional feature waits.</summary>
    public static ServerCapabilities Unknown { get; } = new(null, null);

    private readonly FrozenSet<string>? _present;

    private ServerCapabilities(FrozenSet<string>? present, string? error)
    {
        _present = present;
        Error = error;
    }

    /// <summary>A probe's result.</summary>
    /// <param name="present">The probed commands every primary has.</param>
    /// <returns>The capabilities.</returns>
    internal static ServerCapabilities Of(IEnumerable<string> present) => new(present.ToFrozenSet(StringComparer.OrdinalIgnoreCase), null);

    /// <summary>A probe that could not run (for example an ACL without <c>+command|info</c>): no optional command is used.</summary>
    /// <param name="error">Why.</param>
    /// <returns>The capabilities.</returns>
    internal static ServerCapabilities Failed(string error) => new(null, error);

    /// <summary>Whether a probe has answered.</summary>
    public bool IsKnown => _present is not null;

    /// <summary>Why the probe could not tell, when it could not (for the health check and <c>tessera doctor</c>).</summary>
    public string? Error { get; }

    /// <summary>Whether the server has <paramref name="command"/> (one of <see cref="ProbedCommands"/>); false while unknown.</summary>
    /// <param name="command">The command, in any case.</param>
    /// <returns><see langword="true"/> when the probe saw it on every primary.</returns>
    public bool Supports(string command) => _present?.Contains(command) == true;

    /// <summary>Whether the server has streams (<c>XADD</c>): the analytics event stream.</summary>
    public bool Streams => Supports("xadd");

    /// <summary>The probed commands the server lacks (empty while unknown).</summary>
    public IReadOnlyList<string> Missing => _present is null ? [] : [.. ProbedCommands.Where(c => !_present.Contains(c))];

    /// <inheritdoc/>
    public override string ToString() =>
        _present is null
            ? Error is null ? "not probed yet" : $"not known ({Error})"
            : Missing.Count == 0 ? "every probed command" : "lacks " + string.Join(", ", Missing.Select(c => c.ToUpperInvariant()));
}
