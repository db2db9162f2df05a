namespace Tessera;

/// <summary>Why a trimming or AOT warning is suppressed, written once for every place it applies.</summary>
internal static class TrimmingJustifications
{
    /// <summary>For option classes with <c>[Range(typeof(TimeSpan), ...)]</c> (IL2026 on the attribute's constructor).</summary>
    public const string SourceGeneratedRange =
        "The TimeSpan [Range] attributes are read at compile time by the [OptionsValidator] source generator, whose validator " +
        "checks them with its own generated copy of the attribute; nothing reflects over them at run time.";
}
