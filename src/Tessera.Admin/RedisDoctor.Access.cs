using System.Diagnostics;
using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace Tessera.Admin;

/// <summary>The access checks of the audit: who may connect, from where, and which dangerous commands the app user can run.</summary>
public sealed partial class RedisDoctor
{
    private static async Task CheckAccessAsync(IServer server, ConfigReader config, DoctorOptions options, string prefix, Action<string, FindingSeverity, string, string?> add, CancellationToken ct)
    {
        var bind = await config.GetAsync("bind", ct).ConfigureAwait(false);
        var loopbackOnly = bind is null ? IsLoopback(server.EndPoint) ? (bool?)null : false : IsLoopbackOnly(bind);
        var where = bind is null ? "bind not readable" : $"bind '{bind}'";

        // Is the default user open (enabled, no password)?
        bool? openDefault = null;
        try
        {
            var user = await server.ExecuteAsync("ACL", "GETUSER", "default").WaitAsync(ct).ConfigureAwait(false);
            var flags = FieldOf(user, "flags");
            openDefault = flags.Contains("on") && flags.Contains("nopass");
        }
        catch (Exception ex) when (ex is RedisServerException or RedisCommandException)
        {
            var requirepass = await config.GetAsync("requirepass", ct).ConfigureAwait(false);
            openDefault = requirepass is null ? null : requirepass.Length == 0;
        }

        switch (openDefault)
        {
            case true when loopbackOnly == true:
                add("auth", FindingSeverity.Warning, $"The default user needs no password; only this host can connect ({where}).", "Set a password before binding beyond loopback: ACL SETUSER default on >PASSWORD (or requirepass), then add password= to the connection string.");
                break;
            case true when loopbackOnly is null:
                add("auth", FindingSeverity.Warning, $"The default user needs no password, and whether Redis listens beyond loopback is unknown ({where}).", "ACL SETUSER default on >PASSWORD (or requirepass PASSWORD); CONFIG REWRITE");
                break;
            case true:
                add("auth", FindingSeverity.Error, $"The default user needs no password and Redis listens beyond loopback ({where}): anyone who reaches the port can read and steal every session.", "ACL SETUSER default on >PASSWORD (or requirepass PASSWORD), or bind 127.0.0.1; CONFIG REWRITE");
                break;
            case false:
                add("auth", FindingSeverity.Ok, "The default user is disabled or needs a password.", null);
                break;
            default:
                add("auth", FindingSeverity.Warning, "Cannot tell whether a password is required (ACL GETUSER and CONFIG GET requirepass refused).", "Run doctor as an admin user to check authentication.");
                break;
        }

        var protectedMode = await config.GetAsync("protected-mode", ct).ConfigureAwait(false);
        if (protectedMode == "no" && openDefault == true)
        {
            add("protected-mode", loopbackOnly == true ? FindingSeverity.Warning : FindingSeverity.Error,
                $"protected-mode no with a password-less default user ({where}).",
                "CONFIG SET protected-mode yes, and set a password.");
        }
        else if (protectedMode is not null)
        {
            add("protected-mode", FindingSeverity.Ok, $"protected-mode {protectedMode}, {where}.", null);
        }

        await CheckDangerousAsync(server, config, options, prefix, add, ct).ConfigureAwait(false);
    }

    private static async Task CheckDangerousAsync(IServer server, ConfigReader config, DoctorOptions options, string prefix, Action<string, FindingSeverity, string, string?> add, CancellationToken ct)
    {
        string? user = options.AppUser;
        try
        {
            user ??= (string?)await server.ExecuteAsync("ACL", "WHOAMI").WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisServerException or RedisCommandException)
        {
            add("dangerous-commands", FindingSeverity.Info, $"Cannot check command rights: ACL WHOAMI refused ({OneLine(ex)}).", null);
            return;
        }

        var debugEnabled = await config.GetAsync("enable-debug-command", ct).ConfigureAwait(false);
        var allowed = new List<string>();
        foreach (var command in Dangerous)
        {
            if (command == "DEBUG" && debugEnabled == "no")
            {
                continue;
            }

            object[] args = command switch
            {
                "KEYS" => ["DRYRUN", user!, "KEYS", "*"],
                "CONFIG" => ["DRYRUN", user!, "CONFIG", "SET", "maxmemory", "0"],
                "DEBUG" => ["DRYRUN", user!, "DEBUG", "SLEEP", "0"],
                _ => ["DRYRUN", user!, command],
            };
            try
            {
                var reply = await server.ExecuteAsync("ACL", args).WaitAsync(ct).ConfigureAwait(false);
                if (string.Equals((string?)reply, "OK", StringComparison.Ordinal))
                {
                    allowed.Add(command);
                }
            }
            catch (Exception ex) when (ex is RedisServerException or RedisCommandException)
            {
                add("dangerous-commands", FindingSeverity.Info, $"Cannot check command rights of '{user}': ACL DRYRUN refused ({OneLine(ex)}; needs Redis 7).", null);
                return;
            }
        }

        if (allowed.Count > 0)
        {
            add("dangerous-commands", FindingSeverity.Warning,
                $"User '{user}' may run {string.Join(", ", allowed)}: one leaked credential or bug can wipe or stall every session.",
                $"Give the app its own user without them: ACL SETUSER <app> on >PASSWORD ~{prefix}* +@all -@dangerous, and put user=<app> in its connection string.");
        }
        else
        {
            add("dangerous-commands", FindingSeverity.Ok, $"User '{user}' cannot run {string.Join(", ", Dangerous)}.", null);
        }
    }

    /// <summary>Reads configuration values, remembering the first refusal instead of throwing.</summary>
    private sealed class ConfigReader(IServer server)
    {
        public string? Refused { get; private set; }

        public async Task<string?> GetAsync(string name, CancellationToken ct)
        {
            if (Refused is not null)
            {
                return null;
            }

            try
            {
                var pairs = await server.ConfigGetAsync(name).WaitAsync(ct).ConfigureAwait(false);
                return pairs.Length > 0 ? pairs[0].Value : null;
            }
            catch (Exception ex) when (ex is RedisServerException or RedisCommandException)
            {
                Refused = OneLine(ex);
                return null;
            }
        }
    }
}
