namespace Tessera.Demo.Rendering;

/// <summary>The page's stylesheet (inline, so each page view is one request and the round robin stays readable).</summary>
internal static class Styles
{
    public const string Css = """
        :root { --ink:#1b1f24; --muted:#4a5360; --line:#d5dae1; --bg:#f5f7fa; --card:#fff; --accent:#0b57d0;
                --ok-bg:#e7f5ec; --ok-ink:#0d5228; --info-bg:#e8f0fe; --info-ink:#123c7a; --warn-bg:#fff4e0; --warn-ink:#6b3d00;
                --err-bg:#fde8e8; --err-ink:#8a1c1c; }
        * { box-sizing: border-box; }
        body { margin:0; font:16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
        a { color:var(--accent); }
        code, .mono { font-family: ui-monospace, "Cascadia Mono", "DejaVu Sans Mono", monospace; font-size:.92em; }
        .skip { position:absolute; left:-999px; } .skip:focus { left:1rem; top:1rem; background:#fff; padding:.5rem; z-index:9; }
        header.top { display:flex; flex-wrap:wrap; gap:1rem; justify-content:space-between; align-items:center;
                     padding:1rem 1.5rem; background:#14213d; color:#fff; }
        header.top h1 { margin:0; font-size:1.4rem; } header.top p { margin:0; color:#dfe6f3; }
        .served { font-size:1.05rem; }
        .inst { display:inline-block; padding:.15rem .6rem; border-radius:999px; color:#fff; font-weight:600; white-space:nowrap; }
        .inst-1 { background:#0b6e4f; } .inst-2 { background:#6a2c91; } .inst-3 { background:#a13d0b; }
        .inst-4 { background:#1d4ed8; } .inst-5 { background:#9d174d; } .inst-6 { background:#3f6212; }
        .inst-7 { background:#7c2d12; } .inst-8 { background:#334155; } .inst-9 { background:#86198f; }
        nav.instances { padding:.6rem 1.5rem; background:#fff; border-bottom:1px solid var(--line); display:flex; flex-wrap:wrap; gap:.75rem; align-items:center; }
        nav.instances ol { list-style:none; display:flex; gap:.5rem; margin:0; padding:0; flex-wrap:wrap; }
        nav.instances li[aria-current] .inst { outline:3px solid #f2b705; outline-offset:2px; }
        nav.instances p { margin:0; color:var(--muted); font-size:.95rem; }
        main { max-width:1180px; margin:0 auto; padding:1.25rem 1.5rem 2rem; }
        nav.pages + main { padding-top:.9rem; }
        .notice { padding:.75rem 1rem; border-radius:8px; margin:0 0 1rem; border:1px solid transparent; }
        .notice-success { background:var(--ok-bg); color:var(--ok-ink); border-color:#a6d9b8; }
        .notice-info { background:var(--info-bg); color:var(--info-ink); border-color:#b5cbf5; }
        .notice-warning { background:var(--warn-bg); color:var(--warn-ink); border-color:#f0c987; }
        .idle-warning { display:flex; gap:1rem; align-items:center; justify-content:space-between; margin:.75rem 0 0; }
        .idle-warning[hidden] { display:none; }
        .idle-warning p { margin:0; }
        .idle-warning button { white-space:nowrap; }
        .notice-error { background:var(--err-bg); color:var(--err-ink); border-color:#f1b0b0; }
        .grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(330px, 1fr)); gap:1rem; }
        .card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:1rem 1.25rem; }
        .card.wide { grid-column:1 / -1; }
        .card h2 { margin:0 0 .5rem; font-size:1.15rem; }
        .help { color:var(--muted); font-size:.92rem; margin:.5rem 0 0; }
        .big { font-size:2.4rem; font-weight:700; margin:.25rem 0; font-variant-numeric:tabular-nums; }
        form.inline { display:flex; flex-wrap:wrap; gap:.5rem; align-items:flex-end; margin:.5rem 0 0; }
        label { display:block; font-weight:600; margin-bottom:.2rem; }
        input[type=text], input[type=number], input[type=password] { font:inherit; padding:.45rem .6rem; border:1px solid #8a94a3; border-radius:6px; min-width:12rem; }
        input[aria-invalid=true] { border-color:var(--err-ink); border-width:2px; }
        button { font:inherit; padding:.45rem .9rem; border-radius:6px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
        button.secondary { background:#fff; color:var(--accent); }
        button.danger { background:#b3261e; border-color:#b3261e; }
        button:focus-visible, input:focus-visible, a:focus-visible { outline:3px solid #f2b705; outline-offset:2px; }
        .error { color:var(--err-ink); background:var(--err-bg); padding:.4rem .6rem; border-radius:6px; margin:.5rem 0 0; font-weight:600; }
        .ttl { font-size:2rem; font-weight:700; font-variant-numeric:tabular-nums; }
        progress { width:100%; height:.8rem; }
        table { border-collapse:collapse; width:100%; font-size:.93rem; }
        th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
        th { background:#eef1f5; }
        td.num { text-align:right; font-variant-numeric:tabular-nums; }
        tr.meta td { color:#2f3946; }
        .tag { display:inline-block; font-size:.78rem; padding:0 .45rem; border-radius:4px; background:#eef1f5; color:#2f3946; border:1px solid var(--line); }
        .tag.you { background:var(--ok-bg); color:var(--ok-ink); border-color:#a6d9b8; }
        .ua { max-width:28rem; overflow-wrap:anywhere; }
        dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.2rem .9rem; margin:.5rem 0 0; }
        dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; }
        footer { max-width:1180px; margin:0 auto; padding:0 1.5rem 2rem; color:var(--muted); font-size:.9rem; }
        .scroll { overflow-x:auto; }
        nav.pages { max-width:1180px; margin:0 auto; padding:.9rem 1.5rem 0; display:flex; gap:.4rem; }
        nav.pages a { padding:.35rem .85rem; border-radius:999px; text-decoration:none; border:1px solid var(--line); background:#fff; }
        nav.pages a[aria-current=page] { background:#14213d; color:#fff; border-color:#14213d; }
        .sr { position:absolute; width:1px; height:1px; overflow:hidden; clip-path:inset(50%); white-space:nowrap; }
        .card h3 { margin:1.1rem 0 .3rem; font-size:1rem; padding-top:.9rem; border-top:1px solid var(--line); }
        .count { font-weight:700; font-size:1.1rem; font-variant-numeric:tabular-nums; }
        .big .of { font-size:1rem; font-weight:400; color:var(--muted); }
        .card.narrow { max-width:40rem; }
        .grid.pair { margin-top:1rem; grid-template-columns:repeat(auto-fit, minmax(330px, 1fr)); }
        a.button { display:inline-block; padding:.45rem .9rem; border-radius:6px; background:var(--accent); color:#fff; text-decoration:none; }
        button.small { padding:.25rem .7rem; font-size:.9rem; }
        table.devices td { padding:.5rem; }
        table.devices td.act { text-align:right; white-space:nowrap; }
        table.devices td form { margin:0; }
        table.devices tr.current td { background:#f3faf5; }
        table.devices .ua { display:inline-block; max-width:18rem; color:var(--muted); font-size:.86rem; }
        ol.codes { columns:2; font-size:1.15rem; line-height:2; }
        caption.cap { caption-side:bottom; text-align:left; }
        """;
}
