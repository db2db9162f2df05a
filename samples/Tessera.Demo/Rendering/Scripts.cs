namespace Tessera.Demo.Rendering;

/// <summary>
/// The page's only script: the live idle-TTL countdown and the idle warning. It asks /api/ttl, an
/// endpoint that does not slide the session (WithoutSessionSliding), so watching the countdown never
/// keeps the session alive; near the end it warns, and "Stay signed in" posts to /api/stay, an ordinary
/// endpoint that slides it. Everything else works without it.
/// </summary>
internal static class Scripts
{
    public const string Countdown = """
        (() => {
          const el = document.getElementById('ttl');
          if (!el) return;
          const bar = document.getElementById('ttl-bar');
          const banner = document.getElementById('expired-banner');
          const warning = document.getElementById('idle-warning');
          const warningSeconds = document.getElementById('idle-warning-seconds');
          const stay = document.getElementById('stay-signed-in');
          const idle = Number(el.dataset.idleMs) || 1;
          // Warn for the last half of the idle timeout, at most the last minute.
          const warnMs = Math.min(60000, idle / 2);
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
          if (stay) stay.addEventListener('click', async () => {
            stay.disabled = true;
            try {
              const r = await fetch('/api/stay', { method: 'POST', cache: 'no-store', credentials: 'same-origin', headers: { 'RequestVerificationToken': stay.dataset.af } });
              const j = await r.json();
              if (!j.exists) { expired(); } else { deadline = performance.now() + j.ttlMs; tick(); }
            } catch (e) { /* the countdown goes on; the next sync corrects it */ } finally { stay.disabled = false; }
          });
          function expired() {
            done = true;
            // Signed out elsewhere (the live stream said so first): that banner is the one that is true.
            if (document.body.dataset.signedOut) return;
            el.textContent = 'expired';
            if (warning) warning.hidden = true;
            if (bar) bar.value = 0;
            if (banner) banner.hidden = false;
            setTimeout(() => location.assign('/'), 1500);
          }
          function tick() {
            if (done) return;
            const left = Math.max(0, deadline - performance.now());
            el.textContent = fmt(left);
            if (bar) bar.value = Math.min(1, left / idle);
            if (warning) {
              const warn = left > 0 && left <= warnMs;
              if (warn) warningSeconds.textContent = String(Math.ceil(left / 1000));
              if (warning.hidden === warn) warning.hidden = !warn;
            }
            if (left === 0) sync();
          }
          setInterval(tick, 100);
          setInterval(sync, 3000);
          tick();
        })();
        """;

    /// <summary>
    /// On every signed-in page: a server-sent event stream (/api/live) that says <c>ended</c> the moment
    /// this session is signed out anywhere (another tab, another device, an operator); the page says so and
    /// goes to the sign-in page. Without it (or without EventSource) the next click finds out instead.
    /// </summary>
    public const string Live = """
        (() => {
          if (!window.EventSource) return;
          const banner = document.getElementById('signed-out-banner');
          const live = new EventSource('/api/live');
          live.addEventListener('ended', () => {
            live.close();
            if (banner) banner.hidden = false;
            document.body.dataset.signedOut = 'true';
            setTimeout(() => location.assign('/'), 2500);
          });
          window.addEventListener('pagehide', () => live.close());
        })();
        """;
}
