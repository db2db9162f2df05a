namespace Tessera.Internal;

/// <summary>
/// Maps caller keys to hash fields. Metadata fields start with one '#'; a caller key that starts
/// with '#' is stored with a second '#' in front, so no caller can ever write a metadata field.
/// </summary>
internal static class FieldNames
{
    public const char Marker = '#';
    public const string Created = "#c";
    public const string LastAccess = "#a";
    public const string IdleMs = "#i";
    public const string Deadline = "#d";
    public const string Size = "#s";
    public const string User = "#u";
    public const string ClientIp = "#ip";
    public const string UserAgent = "#ua";
    public const string RotatedTo = "#r";

    public static string ToField(string key) =>
        key.Length > 0 && key[0] == Marker ? string.Concat("#", key) : key;

    /// <summary>Returns the caller key for a field, or null when the field is metadata.</summary>
    public static string? ToKey(string field)
    {
        if (field.Length == 0 || field[0] != Marker)
        {
            return field;
        }

        return field.Length > 1 && field[1] == Marker ? field[1..] : null;
    }
}
