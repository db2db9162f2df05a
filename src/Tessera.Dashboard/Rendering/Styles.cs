namespace Tessera.Dashboard.Rendering;

/// <summary>The dashboard's stylesheet, inline in every page (nothing is fetched from elsewhere).</summary>
internal static class Styles
{
    public const string Css = """
        :root { --ink:#1b1f24; --muted:#4a5360; --line:#d5dae1; --bg:#f5f7fa; --card:#fff; --accent:#0b57d0;
                --ok-bg:#e7f5ec; --ok-ink:#0d5228; --info-bg:#e8f0fe; --info-ink:#123c7a; --warn-bg:#fff4e0; --warn-ink:#6b3d00;
                --err-bg:#fde8e8; --err-ink:#8a1c1c; }
        * { box-sizing:border-box; }
        body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
        a { color:var(--accent); }
        code, .mono { font-family:ui-monospace, "Cascadia Mono", "DejaVu Sans Mono", monospace; font-size:.92em; }
        .skip { position:absolute; left:-999px; } .skip:focus { left:1rem; top:1rem; background:#fff; padding:.5rem; z-index:9; }
        header.top { display:flex; flex-wrap:wrap; gap:1rem; justify-content:space-between; align-items:center; padding:.8rem 1.5rem; background:#14213d; color:#fff; }
        header.top p { margin:0; font-size:1.25rem; font-weight:700; } header.top span { color:#dfe6f3; font-size:.95rem; }
        nav.tabs { background:#fff; border-bottom:1px solid var(--line); padding:0 1.5rem; }
        nav.tabs ul { list-style:none; display:flex; flex-wrap:wrap; gap:.25rem; margin:0; padding:0; }
        nav.tabs a { display:block; padding:.6rem .9rem; text-decoration:none; border-bottom:3px solid transparent; color:var(--ink); }
        nav.tabs a[aria-current=page] { border-bottom-color:var(--accent); font-weight:700; color:var(--accent); }
        main { max-width:1240px; margin:0 auto; padding:1.25rem 1.5rem 2rem; }
        h1 { font-size:1.5rem; margin:0 0 1rem; }
        .notice { padding:.75rem 1rem; border-radius:8px; margin:0 0 1rem; border:1px solid transparent; }
        .notice-success { background:var(--ok-bg); color:var(--ok-ink); border-color:#a6d9b8; }
        .notice-info { background:var(--info-bg); color:var(--info-ink); border-color:#b5cbf5; }
        .notice-warning { background:var(--warn-bg); color:var(--warn-ink); border-color:#f0c987; }
        .notice-error { background:var(--err-bg); color:var(--err-ink); border-color:#f1b0b0; }
        .grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(420px, 1fr)); gap:1rem; margin-bottom:1rem; }
        .figures { display:grid; grid-template-columns:repeat(auto-fit, minmax(150px, 1fr)); gap:.75rem; margin:0 0 1rem; padding:0; }
        .figures div { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:.6rem .9rem; }
        .figures dt { color:var(--muted); font-size:.88rem; } .figures dd { margin:0; font-size:1.6rem; font-weight:700; font-variant-numeric:tabular-nums; }
        .figures dd small { font-size:.85rem; font-weight:400; color:var(--muted); display:block; }
        section.card { margin-bottom:1rem; background:var(--card); border:1px solid var(--line); border-radius:10px; padding:1rem 1.25rem; }
        section.card h2 { margin:0 0 .5rem; font-size:1.1rem; }
        .wide { grid-column:1 / -1; }
        .help { color:var(--muted); font-size:.9rem; margin:.4rem 0 0; }
        form.inline { display:flex; flex-wrap:wrap; gap:.5rem; align-items:flex-end; margin:.5rem 0; }
        form.row { display:inline; margin:0; }
        label { display:block; font-weight:600; margin-bottom:.2rem; }
        label.check { display:flex; gap:.4rem; align-items:center; font-weight:400; }
        input[type=text], input[type=search], select { font:inherit; padding:.4rem .6rem; border:1px solid #8a94a3; border-radius:6px; min-width:12rem; }
        button { font:inherit; padding:.4rem .85rem; border-radius:6px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
        button.secondary { background:#fff; color:var(--accent); }
        button.danger { background:#b3261e; border-color:#b3261e; }
        button:focus-visible, input:focus-visible, select:focus-visible, a:focus-visible { outline:3px solid #f2b705; outline-offset:2px; }
        table { border-collapse:collapse; width:100%; font-size:.92rem; }
        caption { text-align:left; font-weight:600; padding:.2rem 0 .4rem; }
        th, td { text-align:left; padding:.3rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
        thead th { background:#eef1f5; }
        td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
        .sev { display:inline-block; padding:0 .5rem; border-radius:4px; font-weight:600; font-size:.85rem; }
        .sev-Ok { background:var(--ok-bg); color:var(--ok-ink); } .sev-Info { background:var(--info-bg); color:var(--info-ink); }
        .sev-Warning { background:var(--warn-bg); color:var(--warn-ink); } .sev-Error { background:var(--err-bg); color:var(--err-ink); }
        .ua { max-width:26rem; overflow-wrap:anywhere; }
        figure { margin:.5rem 0; } figcaption { color:var(--muted); font-size:.88rem; }
        svg.chart { width:100%; height:auto; }
        svg.chart .bar { fill:#0b57d0; } svg.chart .bar2 { fill:#0b6e4f; } svg.chart .line { fill:none; stroke:#0b57d0; stroke-width:2; }
        svg.chart .dot { fill:#0b57d0; } svg.chart text { font:12px system-ui, sans-serif; fill:#4a5360; } svg.chart .axis { stroke:#8a94a3; stroke-width:1; }
        details summary { cursor:pointer; color:var(--accent); }
        .visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
        footer { max-width:1240px; margin:0 auto; padding:0 1.5rem 2rem; color:var(--muted); font-size:.88rem; }
        """;
}
