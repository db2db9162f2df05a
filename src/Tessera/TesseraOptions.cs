using System.ComponentModel.DataAnnotations;
using StackExchange.Redis;

namespace Tessera;

/// <summary>Options of the session store.</summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = TrimmingJustifications.SourceGeneratedRange)]
public class TesseraOptions
{
    /// <summary>
    /// The StackExchange.Redis configuration string, for example <c>localhost:6379</c> or
    /// <c>sentinel1:26379,serviceName=mymaster</c>. Not needed when a multiplexer is registered in
    /// the service collection or <see cref="ConnectionMultiplexerFactory"/> is set.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>Creates the multiplexer, when the app wants to build it itself.</summary>
    public Func<Task<IConnectionMultiplexer>>? ConnectionMultiplexerFactory { get; set; }

    /// <summary>The prefix of every key Tessera writes.</summary>
    /// <value>Default <c>session:</c>.</value>
    [Required]
    [StringLength(64, MinimumLength = 1)]
    public string KeyPrefix { get; set; } = TesseraDefaults.KeyPrefix;

    /// <summary>How long a session lives without being used (sliding).</summary>
    /// <value>Default 20 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "90.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TesseraDefaults.IdleTimeout;

    /// <summary>How long a session lives at most, however active it is.</summary>
    /// <value>Default 12 hours.</value>
    [Range(typeof(TimeSpan), "00:00:01", "400.00:00:00")]
    public TimeSpan AbsoluteTimeout { get; set; } = TesseraDefaults.AbsoluteTimeout;

    /// <summary>
    /// The renewal timeout (OWASP's Session Management Cheat Sheet; Spring Session and Keycloak call it
    /// the same): a request that reads a session whose identifier is older than this gives it a new one,
    /// through the same rotation as <c>RotateAsync</c> (values, user, creation time and absolute deadline
    /// carried over; the old id refused at once, requests already in flight with it forwarded for
    /// <see cref="RotationGracePeriod"/>), so a stolen id stops working within about this long even while
    /// its owner keeps using the session. Measured from when the id was issued (<see cref="SessionMetadata.IdIssuedAt"/>:
    /// creation or the last rotation). Only requests that read the session renew it, and not those of
    /// endpoints marked <c>[NoSessionSliding]</c> / <c>WithoutSessionSliding()</c> (polls: a poll that renewed
    /// would race the page's own requests for the cookie). <see langword="null"/>: ids are never renewed.
    /// Must be shorter than <see cref="AbsoluteTimeout"/> and longer than <see cref="RotationGracePeriod"/>.
    /// </summary>
    /// <value>Default <see langword="null"/> (off).</value>
    [Range(typeof(TimeSpan), "00:00:01", "400.00:00:00")]
    public TimeSpan? RenewalInterval { get; set; }

    /// <summary>
    /// How old the last sliding refresh must be before a read refreshes it again. <see langword="null"/>
    /// means a twentieth of the session's idle timeout, at most a minute.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan? RefreshGranularity { get; set; }

    /// <summary>The bound on one Redis operation; past it the request fails with 503.</summary>
    /// <value>Default 2 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan OperationTimeout { get; set; } = TesseraDefaults.OperationTimeout;

    /// <summary>
    /// The largest a session may grow, in bytes: each value counts its key, its stored bytes and 40 bytes
    /// of per-field overhead (what Redis spends on each field of a large hash); 0 for no limit. A write
    /// over it stores nothing (413 in ASP.NET Core); one that shrinks a session already over it goes through.
    /// </summary>
    /// <value>Default 1 MiB.</value>
    [Range(0, int.MaxValue)]
    public int MaxSessionBytes { get; set; } = TesseraDefaults.MaxSessionBytes;

    /// <summary>
    /// The most values (keys) a session may hold; 0 for no limit. A write that would leave more stores
    /// nothing (413 in ASP.NET Core); one that does not add values goes through, so a session already over
    /// it can shrink. Checked atomically in the same script as <see cref="MaxSessionBytes"/>.
    /// </summary>
    /// <remarks>
    /// The default, 1,000, is far above what sessions hold (a stock ASP.NET session has a handful of keys;
    /// a cart stored a key per line has tens) and bounds the work one session costs Redis: each value is
    /// a command inside the commit script and an entry of every load's <c>HGETALL</c>, and past 128
    /// fields Redis stores the hash as a hash table at about 40 bytes per field. Many tiny values are
    /// what the byte limit misses: 8,100 one-byte values are under 60 KB of names and values.
    /// </remarks>
    /// <value>Default 1,000.</value>
    [Range(0, int.MaxValue)]
    public int MaxSessionFields { get; set; } = TesseraDefaults.MaxSessionFields;

    /// <summary>Compression of large values.</summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public CompressionOptions Compression { get; set; } = new();

    /// <summary>Failing fast while Redis does not answer: the circuit breaker in front of every Redis call.</summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();

    /// <summary>The near cache: repeated reads of an unchanged session answered from this instance's memory, kept correct by Redis's invalidations (off by default).</summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public NearCacheOptions NearCache { get; set; } = new();

    /// <summary>Encryption at rest with a key ring.</summary>
    public EncryptionOptions Encryption { get; set; } = new();

    /// <summary>
    /// How long a revocation (logout, revoke, "log out everywhere", everyone) waits for a replica to
    /// acknowledge it (<c>WAIT</c>), when the primary has replicas, so that a failover right after it cannot
    /// bring the session back. Sent on a second connection of its own (a <c>WAIT</c> blocks the connection
    /// it is sent on), opened only once a replica exists. An unconfirmed revocation is still done on the
    /// primary: it is logged and counted, and <see cref="RedisSessionStore.ConfirmRevokedAsync"/> says so to a
    /// caller that must know. Zero turns it off.
    /// </summary>
    /// <value>Default 500 ms; at most half of <see cref="OperationTimeout"/> is used (the wait is one Redis operation).</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan ReplicaWait { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a rotated session's old key points to the new one, for requests already in flight.</summary>
    /// <value>Default 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RotationGracePeriod { get; set; } = TesseraDefaults.RotationGracePeriod;

    /// <summary>
    /// The most devices (logins, and sessions signed in without a login ticket) one user may have at
    /// once, as Spring Security's <c>maximumSessions</c> and Keycloak's session limiter; 0 for no
    /// limit. A browser's ticket and the session it signed in with count once. Checked and applied in
    /// one script on the user's index, so two sign-ins racing cannot both pass a full index, on
    /// Cluster too; the index, and so a devices page and a "log out everywhere", is bounded by it.
    /// </summary>
    /// <value>Default 100: no person has that many devices; a credential-stuffing run or a leaking client does.</value>
    [Range(0, 100_000)]
    public int MaxSessionsPerUser { get; set; } = TesseraDefaults.MaxSessionsPerUser;

    /// <summary>What a sign-in past <see cref="MaxSessionsPerUser"/> does.</summary>
    /// <value>Default <see cref="SessionLimitPolicy.EvictOldest"/>: the newest login wins, as Keycloak's default.</value>
    [EnumDataType(typeof(SessionLimitPolicy))]
    public SessionLimitPolicy SessionLimitPolicy { get; set; } = SessionLimitPolicy.EvictOldest;
}
