namespace Tessera.AspNetCore;

/// <summary>
/// Moving an app from the stock <c>AddSession()</c> to Tessera without logging anyone out: a request
/// that carries the stock session cookie and no Tessera cookie gets a Tessera session holding the
/// same values, read once from the app's <c>IDistributedCache</c>; the old entry and cookie are then
/// removed. Requests without the stock cookie pay nothing. See docs/migration.md.
/// </summary>
public sealed class StockSessionMigrationOptions
{
    /// <summary>The stock session middleware's default cookie name.</summary>
    public const string DefaultCookieName = ".AspNetCore.Session";

    /// <summary>Whether stock sessions are migrated. Needs the app's <c>IDistributedCache</c> and Data Protection keys, as the stock session used them.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>The stock session's cookie name (<c>SessionOptions.Cookie.Name</c> of the old app).</summary>
    /// <value>Default <c>.AspNetCore.Session</c>.</value>
    public string CookieName { get; set; } = DefaultCookieName;
}
