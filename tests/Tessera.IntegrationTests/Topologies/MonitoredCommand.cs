namespace Tessera.IntegrationTests;

/// <summary>A command a Redis node ran, as MONITOR showed it.</summary>
/// <param name="FromScript">Whether a script ran it inside the server (MONITOR's <c>lua</c> source).</param>
/// <param name="Name">The command name, upper case.</param>
/// <param name="Args">Its arguments.</param>
public sealed record MonitoredCommand(bool FromScript, string Name, IReadOnlyList<string> Args)
{
    /// <summary>Whether it is a script a client sent.</summary>
    public bool IsScript => !FromScript && Name is "EVAL" or "EVALSHA" or "EVAL_RO" or "EVALSHA_RO";

    /// <summary>The keys a script declared (its KEYS), or empty.</summary>
    public IReadOnlyList<string> DeclaredKeys =>
        IsScript && Args.Count > 1 && int.TryParse(Args[1], out var n) ? Args.Skip(2).Take(n).ToList() : [];

    /// <inheritdoc/>
    public override string ToString() => $"{(FromScript ? "lua " : string.Empty)}{Name} {string.Join(' ', Args.Select(a => a.Length > 60 ? a[..60] + "..." : a))}";
}
