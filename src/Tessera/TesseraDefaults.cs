namespace Tessera;

/// <summary>Default values of <see cref="TesseraOptions"/>.</summary>
public static class TesseraDefaults
{
    /// <summary>The key prefix: <c>session:</c>.</summary>
    public const string KeyPrefix = "session:";

    /// <summary>The idle timeout: 20 minutes, as the stock ASP.NET session.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(20);

    /// <summary>The absolute lifetime: 12 hours.</summary>
    public static readonly TimeSpan AbsoluteTimeout = TimeSpan.FromHours(12);

    /// <summary>The bound on one Redis operation: 2 seconds.</summary>
    public static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a rotated session's tombstone lets requests in flight find the new one: 30 seconds.</summary>
    public static readonly TimeSpan RotationGracePeriod = TimeSpan.FromSeconds(30);

    /// <summary>The largest session, in bytes of field names, stored values and a per-field overhead: 1 MiB.</summary>
    public const int MaxSessionBytes = 1024 * 1024;

    /// <summary>The most values one session may hold: 1,000.</summary>
    public const int MaxSessionFields = 1000;

    /// <summary>The longest refresh granularity used when none is set: one minute.</summary>
    public static readonly TimeSpan MaxRefreshGranularity = TimeSpan.FromMinutes(1);



    /// <summary>How often the breaker's background probe PINGs Redis while it is open: 250 ms.</summary>
    public static readonly TimeSpan CircuitProbeInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The most devices one user may have at once: 100.</summary>
    public const int MaxSessionsPerUser = 100;
}
