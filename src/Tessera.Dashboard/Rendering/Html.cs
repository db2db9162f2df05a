using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Tessera.Dashboard.Rendering;

/// <summary>
/// A piece of markup that is already safe. The only way to make one from text is
/// <see cref="Html.Of(ref HtmlBuilder)"/>, which HTML-encodes every interpolated value, or
/// <see cref="Html.Raw"/> for constant markup written in this project.
/// </summary>
/// <param name="Value">The markup.</param>
internal readonly record struct Html(string Value)
{
    /// <summary>No markup.</summary>
    public static Html Empty { get; } = new(string.Empty);

    /// <summary>Builds markup from an interpolated string: literal parts are kept, holes are encoded.</summary>
    /// <param name="builder">The interpolated string.</param>
    /// <returns>The markup.</returns>
    public static Html Of([InterpolatedStringHandlerArgument] ref HtmlBuilder builder) => builder.ToHtml();

    /// <summary>Constant markup from this project's own source (never user input).</summary>
    /// <param name="markup">The markup.</param>
    /// <returns>The markup.</returns>
    public static Html Raw(string markup) => new(markup);

    /// <summary>Joins pieces of markup.</summary>
    /// <param name="parts">The pieces.</param>
    /// <returns>The markup.</returns>
    public static Html Join(IEnumerable<Html> parts) => new(string.Concat(parts.Select(static p => p.Value)));

    /// <inheritdoc/>
    public override string ToString() => Value;
}

/// <summary>Interpolated-string handler behind <see cref="Html.Of(ref HtmlBuilder)"/>: encodes every hole that is not <see cref="Html"/>.</summary>
[InterpolatedStringHandler]
internal ref struct HtmlBuilder
{
    // Encodes markup characters (< > & " ' and more) but keeps letters of every script readable.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private readonly StringBuilder _sb;

    public HtmlBuilder(int literalLength, int formattedCount)
    {
        _ = formattedCount;
        _sb = new StringBuilder(literalLength + 64);
    }

    public readonly void AppendLiteral(string value) => _sb.Append(value);

    public readonly void AppendFormatted(Html value) => _sb.Append(value.Value);

    public readonly void AppendFormatted(string? value) => _sb.Append(Encoder.Encode(value ?? string.Empty));

    public readonly void AppendFormatted<T>(T value) =>
        AppendFormatted(value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString());

    public readonly void AppendFormatted<T>(T value, string format)
        where T : IFormattable =>
        AppendFormatted(value.ToString(format, CultureInfo.InvariantCulture));

    public readonly Html ToHtml() => new(_sb.ToString());
}
