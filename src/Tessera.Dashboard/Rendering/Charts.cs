using System.Globalization;

namespace Tessera.Dashboard.Rendering;

/// <summary>
/// Charts as inline SVG, drawn on the server: no script, no external resource. Each chart has a title
/// for screen readers and its data in a table under a disclosure, so the figures are there without sight.
/// </summary>
internal static class Charts
{
    private const int Width = 480;
    private const int Height = 170;
    private const int Left = 40;
    private const int Bottom = 24;
    private const int Top = 10;

    /// <summary>A bar chart of labelled values.</summary>
    public static Html Bars(string id, string title, IReadOnlyList<(string Label, long Value)> points, string valueHeading, int labelEvery = 1, string barClass = "bar")
    {
        var max = Math.Max(1, points.Count == 0 ? 1 : points.Max(static p => p.Value));
        var plotW = Width - Left - 8;
        var plotH = Height - Bottom - Top;
        var slot = points.Count == 0 ? plotW : (double)plotW / points.Count;
        var bars = new List<Html>();
        for (var n = 0; n < points.Count; n++)
        {
            var h = points[n].Value * plotH / (double)max;
            var x = Left + (n * slot) + (slot * 0.1);
            var y = Top + plotH - h;
            bars.Add(Html.Of($"<rect class=\"{barClass}\" x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(Math.Max(1, slot * 0.8))}\" height=\"{F(h)}\"><title>{points[n].Label}: {points[n].Value}</title></rect>"));
            if (n % labelEvery == 0)
            {
                bars.Add(Html.Of($"<text x=\"{F(x + (slot * 0.4))}\" y=\"{Height - 8}\" text-anchor=\"middle\">{points[n].Label}</text>"));
            }
        }

        return Frame(id, title, max, Html.Join(bars), Table(title, points.Select(static p => (p.Label, p.Value.ToString("N0", CultureInfo.InvariantCulture))).ToList(), valueHeading));
    }

    /// <summary>A line chart of timed values over a fixed window.</summary>
    public static Html Line(string id, string title, IReadOnlyList<(DateTimeOffset At, long Value)> points, DateTimeOffset from, DateTimeOffset to, string timeFormat, string valueHeading)
    {
        var max = Math.Max(1, points.Count == 0 ? 1 : points.Max(static p => p.Value));
        var plotW = Width - Left - 8;
        var plotH = Height - Bottom - Top;
        var span = Math.Max(1, (to - from).TotalMilliseconds);
        string X(DateTimeOffset at) => F(Left + ((at - from).TotalMilliseconds / span * plotW));
        string Y(long v) => F(Top + plotH - (v * plotH / (double)max));
        var parts = new List<Html>();
        if (points.Count > 1)
        {
            parts.Add(Html.Of($"<polyline class=\"line\" points=\"{string.Join(' ', points.Select(p => X(p.At) + "," + Y(p.Value)))}\"/>"));
        }

        foreach (var p in points)
        {
            parts.Add(Html.Of($"<circle class=\"dot\" cx=\"{X(p.At)}\" cy=\"{Y(p.Value)}\" r=\"3\"><title>{p.At.UtcDateTime.ToString(timeFormat, CultureInfo.InvariantCulture)}: {p.Value}</title></circle>"));
        }

        for (var n = 0; n <= 4; n++)
        {
            var at = from + ((to - from) * n / 4);
            var anchor = n == 0 ? "start" : n == 4 ? "end" : "middle";
            parts.Add(Html.Of($"<text x=\"{X(at)}\" y=\"{Height - 8}\" text-anchor=\"{anchor}\">{at.UtcDateTime.ToString(timeFormat, CultureInfo.InvariantCulture)}</text>"));
        }

        if (points.Count == 0)
        {
            parts.Add(Html.Of($"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no samples in this window yet</text>"));
        }

        var rows = points.Select(p => (p.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC", p.Value.ToString("N0", CultureInfo.InvariantCulture))).ToList();
        return Frame(id, title, max, Html.Join(parts), Table(title, rows, valueHeading));
    }

    private static Html Frame(string id, string title, long max, Html body, Html table)
    {
        var plotH = Height - Bottom - Top;
        return Html.Of($"""
            <figure>
            <svg class="chart" viewBox="0 0 {Width} {Height}" role="img" aria-labelledby="{id}-t" xmlns="http://www.w3.org/2000/svg">
            <title id="{id}-t">{title}</title>
            <line class="axis" x1="{Left}" y1="{Top + plotH}" x2="{Width - 8}" y2="{Top + plotH}"/>
            <line class="axis" x1="{Left}" y1="{Top}" x2="{Left}" y2="{Top + plotH}"/>
            <text x="{Left - 4}" y="{Top + 8}" text-anchor="end">{max.ToString("N0", CultureInfo.InvariantCulture)}</text>
            <text x="{Left - 4}" y="{Top + plotH}" text-anchor="end">0</text>
            {body}
            </svg>
            <figcaption>{title}</figcaption>
            </figure>
            {table}
            """);
    }

    private static Html Table(string title, IReadOnlyList<(string Label, string Value)> rows, string valueHeading)
    {
        var body = Html.Join(rows.Select(static r => Html.Of($"<tr><td>{r.Label}</td><td class=\"num\">{r.Value}</td></tr>")));
        return Html.Of($"""
            <details><summary>{title}: the figures</summary>
            <table><thead><tr><th scope="col">when</th><th scope="col" class="num">{valueHeading}</th></tr></thead><tbody>{body}</tbody></table>
            </details>
            """);
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
}
