using Html = Tessera.Dashboard.Rendering.Html;
using HtmlBuilder = Tessera.Dashboard.Rendering.HtmlBuilder;
using Tessera.Demo.Model;

namespace Tessera.Demo.Rendering;

/// <summary>Renders the demo's home page (the session). Every value that comes from a person or from Redis is HTML-encoded by <see cref="Html.Of"/>.</summary>
internal static class PageView
{
    /// <summary>Renders the page.</summary>
    /// <param name="m">The model.</param>
    /// <returns>The HTML document.</returns>
    public static string Render(PageModel m)
    {
        var s = m.Session;
        var content = Html.Of($"""
            {Parts.TopError(m, form => Shown(form, s))}
            <p id="expired-banner" class="notice notice-warning" role="alert" hidden>Redis deleted the session: it was idle too long. Reloading…</p>
            <div class="grid">
            {You(m, s)}
            {Counter(m, s)}
            {OneTimeCode(m)}
            {Ttl(m, s)}
            {Stored(s)}
            </div>
            """);
        return Layout.Render(m, "Session", content);
    }

    /// <summary>Whether this page shows a form (so its refusal goes by it, not at the top).</summary>
    private static bool Shown(string form, SessionState? s) => form switch
    {
        "login" => s?.User is null,
        "logout" => s?.User is not null,
        "count" or "ttl" or "code" or "code-use" => true,
        _ => false,
    };

    private static Html Error(PageModel m, string form, string id) => Parts.Error(m, form, id);

    private static Html Invalid(PageModel m, string form, string id, string? field = null) => Parts.Invalid(m, form, id, field);

    private static Html Token(PageModel m) => Parts.Token(m);

    private static Html You(PageModel m, SessionState? s)
    {
        if (s?.User is { } user)
        {
            return Html.Of($"""
                <section class="card" aria-labelledby="h-you">
                  <h2 id="h-you">You</h2>
                  <p>Logged in as <strong id="user">{user}</strong>.</p>
                  <dl class="facts">
                    <dt>Session ID</dt><dd><code id="session-id">{s.IdPrefix}</code> (first 8 characters; the whole ID is the cookie)</dd>
                  </dl>
                  <form method="post" action="/logout" class="inline">
                    {Token(m)}
                    <button type="submit" id="logout" class="danger">Log out</button>
                  </form>
                  {Error(m, "logout", "logout-error")}
                  <p class="help">Logging out deletes the session in Redis at once: every instance sees it gone on the next request.</p>
                  {Devices(m, s)}
                </section>
                """);
        }

        var typed = m.Error is { Form: "login" } e ? e.Value : null;
        var state = s is null
            ? Html.Of($"""<p id="no-session">No session yet: no cookie, nothing in Redis. A session starts when you log in or click the counter.</p>""")
            : Html.Of($"""<p>Anonymous session <code id="session-id">{s.IdPrefix}</code>. Log in and watch its ID change.</p>""");
        return Html.Of($"""
            <section class="card" aria-labelledby="h-you">
              <h2 id="h-you">Log in</h2>
              {state}
              <form method="post" action="/login" class="inline" novalidate>
                {Token(m)}
                <div>
                  <label for="username">Username</label>
                  <input type="text" id="username" name="username" value="{typed}" autocomplete="username" spellcheck="false"{Invalid(m, "login", "login-error", "username")}>
                </div>
                <div>
                  <label for="password">Password</label>
                  <input type="password" id="password" name="password" autocomplete="current-password" maxlength="{InputRules.MaxPasswordLength}"{Invalid(m, "login", "login-error", "password")}>
                </div>
                <button type="submit" id="login">Log in</button>
              </form>
              {Error(m, "login", "login-error")}
              <p class="help">Any name of 1 to {InputRules.MaxUsernameLength} letters, digits, . _ - or @. The demo has no accounts: the first login with a name sets its password (kept hashed in Redis for a day), later logins need the same one. Logging in binds the session to the user and rotates its ID, so an ID fixed before login is worthless after it.</p>
            </section>
            """);
    }

    private static Html Counter(PageModel m, SessionState? s) => Html.Of($"""
        <section class="card" aria-labelledby="h-counter">
          <h2 id="h-counter">Atomic counter</h2>
          <p class="big" id="counter" aria-live="polite">{s?.Counter ?? 0}</p>
          <form method="post" action="/count" class="inline">
            {Token(m)}
            <button type="submit" id="count">+1</button>
          </form>
          {Error(m, "count", "count-error")}
          <p class="help">Each click is one <code>HINCRBY</code> in Redis, on whichever instance gets the request: one round trip, no lost updates, however many servers click at once.</p>
        </section>
        """);

    private static Html OneTimeCode(PageModel m)
    {
        var typed = m.Error is { Form: "code-use" } e ? e.Value : null;
        return Html.Of($"""
            <section class="card" aria-labelledby="h-code">
              <h2 id="h-code">One-time code</h2>
              <form method="post" action="/code" class="inline">
                {Token(m)}
                <button type="submit" id="new-code">Get a code</button>
              </form>
              {Error(m, "code", "code-error")}
              <form method="post" action="/code/use" class="inline" novalidate>
                {Token(m)}
                <label for="code-input">Code</label>
                <input id="code-input" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" value="{typed}"{Invalid(m, "code-use", "code-use-error", "code")}>
                <button type="submit" id="use-code">Use it</button>
              </form>
              {Error(m, "code-use", "code-use-error")}
              <p class="help">The code is a session value with its own lifetime of {Format.Duration(DemoEndpoints.CodeLifetime)}: <code>SetString(key, code, lifetime)</code>. Its deadline is in the stored value's header (authenticated when values are encrypted), so it needs no per-field expiry from the server; after it, no read, list or take returns it. Using it takes it (read and removed in one step): of two tabs that submit it at once, one gets it.</p>
            </section>
            """);
    }

    private static Html Ttl(PageModel m, SessionState? s)
    {
        var typed = m.Error is { Form: "ttl" } e ? e.Value : null;
        var form = Html.Of($"""
            <form method="post" action="/ttl" class="inline" novalidate>
              {Token(m)}
              <div>
                <label for="idle">Idle timeout (seconds)</label>
                <input type="text" inputmode="numeric" id="idle" name="idle" value="{typed}" placeholder="{InputRules.MinIdleSeconds} to {InputRules.MaxIdleSeconds}"{Invalid(m, "ttl", "ttl-error")}>
              </div>
              <button type="submit" id="set-ttl">Set</button>
              <button type="submit" name="preset" value="15" class="secondary">15 s</button>
              <button type="submit" name="preset" value="60" class="secondary">1 min</button>
              <button type="submit" name="preset" value="1200" class="secondary">20 min</button>
            </form>
            {Error(m, "ttl", "ttl-error")}
            """);
        if (s is null)
        {
            return Html.Of($"""
                <section class="card" aria-labelledby="h-ttl">
                  <h2 id="h-ttl">Idle timeout</h2>
                  <p>No session, so nothing to expire. Log in or click the counter first.</p>
                  {(m.Error is { Form: "ttl" } ? form : Html.Empty)}
                </section>
                """);
        }

        var meta = s.Metadata;
        var idleMs = (long)(meta?.IdleTimeout.TotalMilliseconds ?? 0);
        var ttlText = s.Stored.TtlMs switch
        {
            -1 => "no TTL (never expires)",
            < 0 => "gone",
            var ms => Format.Duration(TimeSpan.FromMilliseconds(ms)),
        };
        var facts = meta is null ? Html.Empty : Html.Of($"""
            <dl class="facts">
              <dt>Idle timeout</dt><dd id="idle-timeout">{Format.Duration(meta.IdleTimeout)}</dd>
              <dt>Created</dt><dd>{Format.Clock(meta.Created)} ({Format.Relative(meta.Created, m.Now)})</dd>
              <dt>Last seen</dt><dd>{Format.Clock(meta.LastAccess)} ({Format.Relative(meta.LastAccess, m.Now)})</dd>
              <dt>Absolute deadline</dt><dd>{Format.Clock(meta.AbsoluteDeadline)} ({Format.Relative(meta.AbsoluteDeadline, m.Now)}), however active</dd>
            </dl>
            """);
        return Html.Of($"""
            <section class="card" aria-labelledby="h-ttl">
              <h2 id="h-ttl">Idle timeout</h2>
              <p>Time to live in Redis (<code>PTTL</code>):</p>
              <p class="ttl"><span id="ttl" data-ttl-ms="{s.Stored.TtlMs}" data-idle-ms="{idleMs}">{ttlText}</span></p>
              <progress id="ttl-bar" max="1" value="{(idleMs > 0 && s.Stored.TtlMs > 0 ? Math.Min(1.0, s.Stored.TtlMs / (double)idleMs) : 0):0.000}" aria-label="Idle time left"></progress>
              <div id="idle-warning" class="notice notice-warning idle-warning" role="alert" hidden>
                <p>{(s.User is null ? "Your session ends" : "You will be signed out")} in <strong id="idle-warning-seconds">…</strong> s unless you do something.</p>
                <button type="button" id="stay-signed-in" data-af="{m.AntiforgeryToken}">Stay signed in</button>
              </div>
              {facts}
              {form}
              <p class="help">Every request that reads the session slides the expiry (the countdown restarts). The countdown asks <code>/api/ttl</code>, an endpoint marked <code>WithoutSessionSliding()</code>: it reads the session's <code>TimeLeft</code> without extending it, so watching it never keeps the session alive. Near the end it warns; <b>Stay signed in</b> calls an ordinary endpoint, which slides the session. Pick 15 s and wait.</p>
            </section>
            """);
    }

    /// <summary>The user's devices in short, in the "You" card; the devices page has the list.</summary>
    private static Html Devices(PageModel m, SessionState s)
    {
        var others = s.Devices.Count(static d => !d.Current);
        return Html.Of($"""
            <h3 id="h-devices">Your devices</h3>
            <p><span class="count" id="device-summary">{s.Devices.Count} of {m.Settings.MaxDevicesPerUser}</span> {(others > 0 ? $"(this one and {others} more)" : "(only this one)")}. The demo allows {Parts.LimitPolicy(m.Settings)}.</p>
            <p><a class="button" href="/devices" id="devices-link">See and log out your devices</a></p>
            <p class="help">Log in with the same name and password in another browser to add one.</p>
            """);
    }

    private static Html Stored(SessionState? s)
    {
        if (s is null)
        {
            return Html.Of($"""
                <section class="card wide" aria-labelledby="h-redis">
                  <h2 id="h-redis">The session as stored in Redis</h2>
                  <p>Nothing: a visitor who stores nothing costs no write and gets no cookie.</p>
                </section>
                """);
        }

        var rows = Html.Join(s.Stored.Fields.Select(static f => Html.Of($"""
            <tr{(f.IsMetadata ? Html.Raw(" class=\"meta\"") : Html.Empty)}><td><code>{f.Field}</code></td><td>{f.Label}</td><td class="num">{f.Bytes}</td><td class="mono ua">{f.Preview}</td></tr>
            """)));
        return Html.Of($"""
            <section class="card wide" aria-labelledby="h-redis">
              <h2 id="h-redis">The session as stored in Redis</h2>
              <p>One hash, key <code id="redis-key">{s.Stored.Key}</code>, <code>PTTL</code> <span id="pttl">{s.Stored.TtlMs}</span> ms, {s.Stored.Fields.Count} fields, {s.Stored.TotalBytes} bytes. Read with <code>HGETALL</code> as this page was built.</p>
              <div class="scroll">
              <table id="fields">
                <thead><tr><th scope="col">Field</th><th scope="col">What</th><th scope="col">Bytes</th><th scope="col">Value</th></tr></thead>
                <tbody>{rows}</tbody>
              </table>
              </div>
              <p class="help">Fields starting with <code>#</code> are Tessera's metadata; an app key can never write one (an app key that starts with # is stored as ##…). App values carry a one-byte header (0 = plain); counters are decimal text so <code>HINCRBY</code> can change them in place.</p>
            </section>
            """);
    }
}
