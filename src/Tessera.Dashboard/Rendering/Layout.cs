namespace Tessera.Dashboard.Rendering;

/// <summary>The frame of every page: landmarks, one h1, the tab navigation with the current page marked.</summary>
internal static class Layout
{
    private static readonly (string Path, string Name)[] Tabs =
    [
        ("", "Overview"), ("/analytics", "Analytics"), ("/users", "Users"), ("/audit", "Redis audit"), ("/cleanup", "Cleanup"), ("/live", "Live"),
    ];

    public static Html Page(string basePath, string current, string siteTitle, string heading, Html body, Notice? notice = null, int? refreshSeconds = null, string? operatorName = null)
    {
        var tabs = Html.Join(Tabs.Select(t => t.Path == current
            ? Html.Of($"<li><a href=\"{basePath}{t.Path}\" aria-current=\"page\">{t.Name}</a></li>")
            : Html.Of($"<li><a href=\"{basePath}{t.Path}\">{t.Name}</a></li>")));
        var refresh = refreshSeconds is { } s ? Html.Of($"<meta http-equiv=\"refresh\" content=\"{s}\">") : Html.Empty;
        var message = notice is { } n ? Html.Of($"<p class=\"notice notice-{n.Level}\" role=\"status\">{n.Text}</p>") : Html.Empty;
        var who = operatorName is null ? Html.Empty : Html.Of($"<span>signed in as {operatorName}</span>");
        return Html.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            {refresh}
            <title>{heading} · {siteTitle}</title>
            <style>{Html.Raw(Styles.Css)}</style>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="top"><p>{siteTitle}</p>{who}</header>
            <nav class="tabs" aria-label="Dashboard"><ul>{tabs}</ul></nav>
            <main id="main">
            <h1>{heading}</h1>
            {message}
            {body}
            </main>
            <footer>Tessera dashboard. Session ids are never shown: sessions are named by an 8-hex-digit tag, the one the logs use.</footer>
            </body>
            </html>
            """);
    }
}

/// <summary>A message at the top of a page.</summary>
/// <param name="Level">success, info, warning or error.</param>
/// <param name="Text">The text.</param>
internal sealed record Notice(string Level, string Text);
