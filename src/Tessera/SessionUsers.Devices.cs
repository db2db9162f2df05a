using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera;

/// <summary>A user's devices as the user sees them: the names users give them, and the browsers a user signed in from before.</summary>
public sealed partial class SessionUsers
{
    /// <summary>How many browsers a user's known devices keep at most (the soonest forgotten go first).</summary>
    internal const int MaxKnownDevices = 100;

    /// <summary>
    /// Names one of a user's devices ("Work laptop"), or removes its name: only a device in the user's
    /// index and bound to the user, so a handle of someone else's device (seen in a screenshot, a log)
    /// names nothing. The name is cleaned (<see cref="DeviceText.Name"/>): control characters and
    /// bidirectional overrides removed, at most <see cref="DeviceText.MaxNameLength"/> characters.
    /// Naming does not slide the device's session.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="handle">The device's handle (<see cref="SessionInfo.Handle"/>, or one of its <see cref="SessionInfo.LinkedHandles"/>).</param>
    /// <param name="name">The name, or null (or nothing left after cleaning) to remove it.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether a device of the user was named.</returns>
    public async Task<bool> NameDeviceAsync(string userId, string handle, string? name, CancellationToken cancellationToken = default)
    {
        ThrowIfBadUser(userId);
        if (!SessionIds.IsValid(handle))
        {
            return false;
        }

        var rows = await IndexRowsAsync(userId, cancellationToken).ConfigureAwait(false);
        if (rows.Find(r => r.Handle == handle) is not { } row)
        {
            return false;
        }

        // A linked session names its device: the name goes on the login it belongs to, where the list reads it.
        var target = row.Login is { } login && login != handle && rows.Exists(r => r.Handle == login) ? login : handle;
        var reply = (RedisResult[])(await _redis.EvalAsync(
            LuaScripts.DeviceFieldSet,
            _store.KeyForHandle(target),
            [SessionLayout.DeviceName, DeviceText.Name(name) ?? string.Empty, userId],
            "name device",
            cancellationToken,
            idempotent: true).ConfigureAwait(false))!;
        return (ScriptStatus)(int)reply[0] == ScriptStatus.Ok;
    }

    /// <summary>
    /// Records that a browser (named by its device cookie) signed in as a user, and says whether it had
    /// not in <paramref name="rememberFor"/>. The record is the user's: a digest of the user and the cookie,
    /// so a browser known to one user is new to every other, and the cookie itself never reaches Redis.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="deviceCookie">The browser's device cookie.</param>
    /// <param name="rememberFor">How long the browser stays known after this sign-in.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether the browser was new to the user.</returns>
    internal async Task<bool> SeenDeviceAsync(string userId, string deviceCookie, TimeSpan rememberFor, CancellationToken cancellationToken)
    {
        ThrowIfBadUser(userId);
        var reply = (RedisResult[])(await _redis.EvalAsync(
            LuaScripts.KnownDeviceSeen,
            SessionLayout.KnownDevicesKey(_options.KeyPrefix, userId),
            [SessionLayout.KnownDeviceMember(userId, deviceCookie), (long)rememberFor.TotalMilliseconds, MaxKnownDevices],
            "known devices",
            cancellationToken,
            idempotent: false).ConfigureAwait(false))!;

        // A key of another type under the name (written by hand): every browser is new, never an error.
        return (ScriptStatus)(int)reply[0] != ScriptStatus.Ok || (int)reply[1] == 1;
    }

    /// <summary>Forgets every browser a user signed in from (erasure).</summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    internal Task ForgetKnownDevicesAsync(string userId, CancellationToken cancellationToken) =>
        RunAsync(db => db.KeyDeleteAsync(SessionLayout.KnownDevicesKey(_options.KeyPrefix, userId)), "known devices", "DEL", cancellationToken);
}
