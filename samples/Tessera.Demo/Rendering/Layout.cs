using Html = Tessera.Dashboard.Rendering.Html;
using HtmlBuilder = Tessera.Dashboard.Rendering.HtmlBuilder;
using Tessera.Demo.Model;

namespace Tessera.Demo.Rendering;

/// <summary>The document every page shares: head, the instance banner, the page links, the notice, the footer.</summary>
internal static class Layout
{
    /// <summary>Renders a page around its content.</summary>
    /// <param name="m">The model.</param>
    /// <param name="title">The page's title.</param>
    /// <param name="content">What goes in <c>main</c>, after the notice.</param>
    /// <returns>The HTML document.</returns>
    public static string Render(PageModel m, string title, Html content)
    {
        var page = Html.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · Tessera demo · {m.Instance.Name}</title>
            <link rel="icon" href="data:,">
            <style nonce="{m.Nonce}">{Html.Raw(Styles.Css)}</style>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="top">
              <div>
                <h1>Tessera demo</h1>
                <p>One session, {m.Instances.Count} app servers, one Redis.</p>
              </div>
              <p class="served">This page was served by <strong id="served-by" class="inst inst-{m.Instance.Number}" data-instance="{m.Instance.Name}" data-port="{m.Instance.Port}">{m.Instance.Label}</strong></p>
            </header>
            <nav class="instances" aria-label="App instances">
              <ol>{Instances(m)}</ol>
              <p>The proxy sends each request to the next instance in turn (round robin). Reload: the instance changes, your session does not.</p>
            </nav>
            {Pages(m)}
            <main id="main">
            {(m.Session?.User is null ? Html.Empty : Html.Of($"""<p id="signed-out-banner" class="notice notice-warning" role="alert" hidden>This session was signed out in another tab or on another device. Going to the sign-in page…</p>"""))}
            {Parts.Notice(m)}
            {content}
            </main>
            <footer>
              <p>Tessera keeps each session in one Redis hash, read and written by single-key Lua scripts. The same state as JSON: <a href="/api/session">/api/session</a>.
              Operators: <a href="/admin">the dashboard</a> (log in first) and <a href="/metrics">/metrics</a> (Prometheus).</p>
            </footer>
            {(m.Page == DemoPage.Home ? Html.Of($"""<script nonce="{m.Nonce}">{Html.Raw(Scripts.Countdown)}</script>""") : Html.Empty)}
            {(m.Session?.User is null ? Html.Empty : Html.Of($"""<script nonce="{m.Nonce}">{Html.Raw(Scripts.Live)}</script>"""))}
            </body>
            </html>
            """);
        return page.Value;
    }

    /// <summary>The links between the pages, when there is more than one to go to (a user is logged in).</summary>
    private static Html Pages(PageModel m) => m.Session?.User is null
        ? Html.Empty
        : Html.Of($"""
            <nav class="pages" aria-label="Pages">
              {Link(m, DemoPage.Home, "/", "Session")}
              {Link(m, DemoPage.Devices, "/devices", "Your devices")}
            </nav>
            """);

    private static Html Link(PageModel m, DemoPage page, string href, string text) =>
        m.Page == page || (page == DemoPage.Devices && m.Page == DemoPage.RecoveryCodes)
            ? Html.Of($"""<a href="{href}" aria-current="page">{text}</a>""")
            : Html.Of($"""<a href="{href}">{text}</a>""");

    private static Html Instances(PageModel m) => Html.Join(m.Instances.Select(i => i.Number == m.Instance.Number
        ? Html.Of($"""<li aria-current="true"><span class="inst inst-{i.Number}">{i.Label}</span> <span class="tag">this response</span></li>""")
        : Html.Of($"""<li><span class="inst inst-{i.Number}">{i.Label}</span></li>""")));
}
