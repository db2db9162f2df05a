namespace Tessera.AspNetCore.Configuration;

/// <summary>
/// Where the options came from, so start-up errors name the setting the way the app wrote it:
/// <c>Tessera:IdleTimeout</c> for an app that bound the <c>Tessera</c> section, <c>IdleTimeout</c> otherwise.
/// </summary>
internal sealed class TesseraOptionsSource
{
    /// <summary>The path of the configuration section bound by <c>AddTessera(IConfiguration)</c>, if any.</summary>
    public string? SectionPath { get; set; }

    /// <summary>Rewrites one failure of an options validator so that it starts with the setting's configuration path.</summary>
    /// <param name="failure">
    /// A failure as the validators word it: <c>Property Name.Sub: message</c> (ValidateOptionsResultBuilder),
    /// <c>Name: The field TesseraOptions.Name.Sub must ...</c> (the generated annotations validator), or plain text.
    /// </param>
    /// <returns><c>Tessera:Name:Sub: message</c> when a section was bound, else the failure unchanged.</returns>
    public string Name(string failure)
    {
        if (SectionPath is not { Length: > 0 } path)
        {
            return failure;
        }

        const string PropertyMarker = "Property ";
        if (failure.StartsWith(PropertyMarker, StringComparison.Ordinal) && failure.IndexOf(": ", StringComparison.Ordinal) is > 0 and var end)
        {
            var member = failure[PropertyMarker.Length..end];
            return $"{path}:{member.Replace('.', ':')}: {failure[(end + 2)..]}";
        }

        foreach (var type in (ReadOnlySpan<string>)["The field TesseraSessionOptions.", "The field TesseraOptions."])
        {
            var at = failure.IndexOf(type, StringComparison.Ordinal);
            if (at > 0 && failure.IndexOf(' ', at + type.Length) is > 0 and var stop)
            {
                var member = failure[(at + type.Length)..stop];
                return $"{path}:{member.Replace('.', ':')}: The value{failure[stop..]}";
            }
        }

        return $"{path}: {failure}";
    }
}
