namespace Tessera.Demo.Rendering;

/// <summary>
/// The page's only script: the live idle-TTL countdown. It asks /api/ttl, which reads PTTL without
/// loading the session, so watching the countdown never keeps the session alive. Everything else
/// works without it.
/// </summary>
internal static class Scripts
{
    public const string Countdown = """
        (() => {
          const el = document.getElementById('ttl');
          if (!el) return;
          const bar = document.getElementById('ttl-bar');
          const banner = document.getElementById('expired-banner');
          const idle = Number(el.dataset.idleMs) || 1;
          let deadline = performance.now() + Number(el.dataset.ttlMs);
          let busy = false, done = false, checks = 0;
          const fmt = ms => ms >= 60000 ? Math.floor(ms / 60000) + ' min ' + Math.floor((ms % 60000) / 1000) + ' s' : (ms / 1000).toFixed(1) + ' s';
          async function sync() {
            if (busy || done || ++checks > 2000) return;
            busy = true;
            try {
              const r = await fetch('/api/ttl', { cache: 'no-store', credentials: 'same-origin' });
              const j = await r.json();
              if (!j.exists) { expired(); } else if (j.ttlMs >= 0) { deadline = performance.now() + j.ttlMs; }
            } catch (e) { /* the next tick retries */ } finally { busy = false; }
          }
          function expired() {
            done = true;
            el.textContent = 'expired';
            if (bar) bar.value = 0;
            if (banner) banner.hidden = false;
            setTimeout(() => location.assign('/'), 1500);
          }
          function tick() {
            if (done) return;
            const left = Math.max(0, deadline - performance.now());
            el.textContent = fmt(left);
            if (bar) bar.value = Math.min(1, left / idle);
            if (left === 0) sync();
          }
          setInterval(tick, 100);
          setInterval(sync, 3000);
          tick();
        })();
        """;
}
