using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Tessera.Demo;

/// <summary>What the demo starts: which Redis, which port for the proxy, how many instances.</summary>
public sealed record DemoSettings
{
    /// <summary>The default proxy port.</summary>
    public const int DefaultPort = 5000;

    /// <summary>The environment variable that names a Redis to use instead of the embedded Garnet.</summary>
    public const string RedisVariable = "TESSERA_REDIS";

    /// <summary>A Redis (StackExchange.Redis configuration, for example <c>127.0.0.1:6379</c>), or <see langword="null"/> for an embedded Garnet.</summary>
    public string? Redis { get; init; }

    /// <summary>The proxy's port on 127.0.0.1; 0 for any free port. When it is taken, a free one is used.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>How many app instances run behind the proxy.</summary>
    public int Instances { get; init; } = 3;

    /// <summary>The idle timeout of new sessions.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>The absolute lifetime of a session.</summary>
    public TimeSpan AbsoluteTimeout { get; init; } = TimeSpan.FromHours(12);

    /// <summary>How many devices one user may be signed in on (<see cref="TesseraOptions.MaxSessionsPerUser"/>).</summary>
    public int MaxDevicesPerUser { get; init; } = 3;

    /// <summary>What a sign-in past <see cref="MaxDevicesPerUser"/> does: refused (the demo's default, so the limit shows) or the oldest device is logged out.</summary>
    public SessionLimitPolicy DeviceLimitPolicy { get; init; } = SessionLimitPolicy.DenyNew;

    /// <summary>How recent a sign-in the step-up action (recovery codes) needs (<c>RequireRecentAuthentication</c>).</summary>
    public TimeSpan StepUpMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Where metrics and traces go besides <c>/metrics</c>.</summary>
    public TelemetryExport Telemetry { get; init; }

    /// <summary>The environment variable that sets <see cref="Telemetry"/> (<c>console</c> or <c>otlp</c>).</summary>
    public const string TelemetryVariable = "TESSERA_OTEL";

    /// <summary>Whether each instance logs requests and warnings to the console.</summary>
    public bool Verbose { get; init; }

    /// <summary>Whether the hosts log nothing at all to the console (for tests that start the demo in their own process).</summary>
    public bool Quiet { get; init; }

    /// <summary>Where the hosts also send their warnings and errors, console or not (a test's capture), or null.</summary>
    public ILoggerProvider? LogSink { get; init; }

    /// <summary>The usage text.</summary>
    public static string Usage { get; } = """
        Tessera demo: three app instances behind a round-robin proxy, sharing sessions through Redis.

        Usage: dotnet run --project samples/Tessera.Demo [-- options]

        Options:
          --redis <host:port>   Use this Redis (any StackExchange.Redis configuration string)
                                instead of the embedded Garnet. Also read from TESSERA_REDIS.
          --port <n>            The proxy's port on 127.0.0.1 (default 5000; 0 = any free port).
                                If it is taken, a free port is used and printed.
          --instances <n>       App instances behind the proxy, 1 to 9 (default 3).
          --idle <seconds>      Idle timeout of new sessions, 5 to 86400 (default 1200).
          --max-devices <n>     Devices one user may be signed in on, 1 to 50 (default 3).
          --limit-policy <deny|evict>
                                A sign-in past --max-devices is refused (deny, the default)
                                or logs the user's oldest device out (evict).
          --step-up <seconds>   How recent a sign-in "show recovery codes" needs, 1 to 86400
                                (default 300); older, it asks for the password again.
          --otel <console|otlp> Also export metrics and traces to the console, or to an OTLP
                                collector (OTEL_EXPORTER_OTLP_ENDPOINT). Also read from
                                TESSERA_OTEL. /metrics (Prometheus) is always on.
          --verbose             Log every instance's requests to the console.
          -h, --help            Show this text.
        """;

    /// <summary>Parses the command line (and <see cref="RedisVariable"/>).</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="settings">The settings, when the arguments are valid.</param>
    /// <param name="error">What is wrong, otherwise; <see langword="null"/> with no settings means help was asked for.</param>
    /// <returns>Whether the demo should start.</returns>
    public static bool TryParse(IReadOnlyList<string> args, Func<string, string?> environment, out DemoSettings settings, out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        settings = new DemoSettings { Redis = NullIfBlank(environment(RedisVariable)) };
        error = null;
        if (NullIfBlank(environment(TelemetryVariable)) is { } otel)
        {
            if (!TryTelemetry(otel, out var export))
            {
                error = $"{TelemetryVariable} must be console or otlp.";
                return false;
            }

            settings = settings with { Telemetry = export };
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? Next()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    return null;
                }

                return args[++i];
            }

            switch (arg)
            {
                case "-h" or "--help" or "-?":
                    return false;
                case "--verbose" or "-v":
                    settings = settings with { Verbose = true };
                    break;
                case "--redis":
                    var redis = NullIfBlank(Next());
                    if (redis is null)
                    {
                        error = "--redis needs a value, for example --redis 127.0.0.1:6379.";
                        return false;
                    }

                    settings = settings with { Redis = redis };
                    break;
                case "--port":
                    if (!TryInt(Next(), 0, 65535, out var port))
                    {
                        error = "--port needs a number from 0 to 65535 (0 = any free port).";
                        return false;
                    }

                    settings = settings with { Port = port };
                    break;
                case "--instances":
                    if (!TryInt(Next(), 1, 9, out var count))
                    {
                        error = "--instances needs a number from 1 to 9.";
                        return false;
                    }

                    settings = settings with { Instances = count };
                    break;
                case "--otel":
                    if (!TryTelemetry(Next(), out var telemetry))
                    {
                        error = "--otel needs console or otlp.";
                        return false;
                    }

                    settings = settings with { Telemetry = telemetry };
                    break;
                case "--max-devices":
                    if (!TryInt(Next(), 1, 50, out var devices))
                    {
                        error = "--max-devices needs a number from 1 to 50.";
                        return false;
                    }

                    settings = settings with { MaxDevicesPerUser = devices };
                    break;
                case "--limit-policy":
                    SessionLimitPolicy? policy = Next() switch
                    {
                        "deny" => SessionLimitPolicy.DenyNew,
                        "evict" => SessionLimitPolicy.EvictOldest,
                        _ => null,
                    };
                    if (policy is not { } chosen)
                    {
                        error = "--limit-policy needs deny or evict.";
                        return false;
                    }

                    settings = settings with { DeviceLimitPolicy = chosen };
                    break;
                case "--step-up":
                    if (!TryInt(Next(), 1, 86_400, out var stepUp))
                    {
                        error = "--step-up needs a number of seconds from 1 to 86400.";
                        return false;
                    }

                    settings = settings with { StepUpMaxAge = TimeSpan.FromSeconds(stepUp) };
                    break;
                case "--idle":
                    if (!TryInt(Next(), 5, 86_400, out var idle))
                    {
                        error = "--idle needs a number of seconds from 5 to 86400.";
                        return false;
                    }

                    settings = settings with { IdleTimeout = TimeSpan.FromSeconds(idle) };
                    break;
                default:
                    error = $"Unknown option '{arg}'.";
                    return false;
            }
        }

        return true;
    }

    private static bool TryTelemetry(string? text, out TelemetryExport export)
    {
        export = text switch
        {
            "console" => TelemetryExport.Console,
            "otlp" => TelemetryExport.Otlp,
            _ => TelemetryExport.None,
        };
        return export != TelemetryExport.None;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool TryInt(string? text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
}
