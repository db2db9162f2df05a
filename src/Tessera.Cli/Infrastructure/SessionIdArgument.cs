namespace Tessera.Cli.Infrastructure;

/// <summary>Reads a session id argument: the id itself, or <c>id:</c> followed by the id (for ids that start with '-').</summary>
internal static class SessionIdArgument
{
    public const string Marker = "id:";

    public static string Normalize(string? text) =>
        text is not null && text.StartsWith(Marker, StringComparison.Ordinal) ? text[Marker.Length..] : text ?? string.Empty;
}
