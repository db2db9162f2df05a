using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.Internal;
using Tessera.Redis;

namespace Tessera;

/// <summary>
/// Revocations as every app instance hears them. Each logout, revocation (a device, a user's sessions, a
/// provider's back-channel logout, the device limit), rotation and "everyone" is published once on the
/// Redis channel <c>{prefix}revocations</c> (sharded pub/sub on a Cluster whose servers have
/// <c>SPUBLISH</c>) and delivered to this instance's listeners at once; the other instances hear it
/// through their subscription. A notice is a hint to re-check, never proof (Redis stays the truth): a
/// notice lost on the wire costs the listener's periodic re-check, and when the subscription was down
/// the listeners get a <see cref="RevocationScope.Resync"/>. On a server without pub/sub nothing is sent
/// and <see cref="IsListening"/> stays false (logged once): the periodic re-check alone works.
/// </summary>
public sealed partial class RevocationFeed
{
    private readonly RedisSessionStore _store;
    private readonly string _origin = RevocationMessage.NewOrigin();
    private readonly Lock _gate = new();
    private readonly string _channelName;
    private Action<RevocationNotice>[] _listeners = [];
    private Task<bool>? _starting;
    private bool _subscribed;
    private bool _hooked;
    private volatile bool _listening;
    private volatile bool _everListened;
    private int _loggedOff;

    internal RevocationFeed(RedisSessionStore store)
    {
        _store = store;
        _channelName = SessionLayout.RevocationChannel(store.Options.KeyPrefix);
    }

    /// <summary>Whether this instance is subscribed and hears the other instances' notices now.</summary>
    public bool IsListening => _listening;

    /// <summary>
    /// Adds a listener, and subscribes this instance to the channel if it was not yet. Listeners are
    /// called on the connection's thread for every notice, this instance's own included: keep them quick
    /// (signal a background loop), an exception is logged and never stops the others.
    /// </summary>
    /// <param name="listener">Called for each notice.</param>
    /// <returns>Dispose to stop listening.</returns>
    public IDisposable Subscribe(Action<RevocationNotice> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_gate)
        {
            _listeners = [.. _listeners, listener];
        }

        _ = StartAsync();
        return new Listener(this, listener);
    }

    /// <summary>Subscribes this instance to the channel (once; later calls share the first).</summary>
    /// <returns>Whether it is listening.</returns>
    public Task<bool> StartAsync()
    {
        lock (_gate)
        {
            if (_starting is null || (_starting.IsCompleted && !_listening))
            {
                _starting = ListenAsync();
            }

            return _starting;
        }
    }

    /// <summary>Tells every instance that sessions or logins ended: at once here, through Redis elsewhere.</summary>
    /// <param name="scope">What ended.</param>
    /// <param name="handles">The handles that ended (none for <see cref="RevocationScope.Everyone"/>).</param>
    /// <param name="successor">For a rotation, the new handle.</param>
    internal void Publish(RevocationScope scope, IReadOnlyList<string> handles, string? successor = null)
    {
        if (handles.Count == 0 && scope != RevocationScope.Everyone)
        {
            return;
        }

        Deliver(new RevocationNotice(scope, handles, successor, IsLocal: true));
        var capabilities = _store.Connection.Capabilities;
        if (capabilities.IsKnown)
        {
            Send(capabilities, scope, handles, successor);
        }
        else
        {
            // Just started, or just reconnected (the server is probed again): send once it is known, not never.
            _ = SendWhenProbedAsync(scope, handles, successor);
        }
    }

    private async Task SendWhenProbedAsync(RevocationScope scope, IReadOnlyList<string> handles, string? successor)
    {
        ServerCapabilities capabilities;
        try
        {
            capabilities = await _store.Connection.ProbeAsync().WaitAsync(_store.Options.OperationTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException || RedisFailures.IsUnavailable(ex))
        {
            capabilities = ServerCapabilities.Unknown;
        }

        Send(capabilities, scope, handles, successor);
    }

    private void Send(ServerCapabilities capabilities, RevocationScope scope, IReadOnlyList<string> handles, string? successor)
    {
        if (ChannelFor(capabilities) is not { } channel)
        {
            _store.Metrics.RevocationNotices.Add(1, new KeyValuePair<string, object?>(TesseraTelemetry.OutcomeTag, "unsent"));
            return;
        }

        for (var start = 0; start == 0 || start < handles.Count; start += RevocationMessage.MaxHandles)
        {
            var message = RevocationMessage.Format(_origin, scope, successor, handles.Skip(start).Take(RevocationMessage.MaxHandles));
            _store.Redis.Send("revocation notice", static (db, s) => db.PublishAsync(s.channel, s.message), (channel, message: (RedisValue)message), channel.IsSharded ? "SPUBLISH" : "PUBLISH");
            _store.Metrics.RevocationNotices.Add(1, new KeyValuePair<string, object?>(TesseraTelemetry.OutcomeTag, "sent"));
        }
    }

    /// <summary>The channel for what the server has: sharded on a Cluster with <c>SPUBLISH</c>, plain with <c>PUBLISH</c>, none otherwise (or while unknown).</summary>
    private RedisChannel? ChannelFor(ServerCapabilities capabilities)
    {
        if (!capabilities.IsKnown)
        {
            return null;
        }

        var cluster = _store.Connection.Multiplexer?.GetServers().Any(static s => s.ServerType == ServerType.Cluster) == true;
        if (cluster && capabilities.Supports("spublish"))
        {
            return RedisChannel.Sharded(_channelName);
        }

        return capabilities.Supports("publish") ? RedisChannel.Literal(_channelName) : (RedisChannel?)null;
    }

    private async Task<bool> ListenAsync()
    {
        var multiplexer = await _store.Connection.GetMultiplexerAsync().ConfigureAwait(false);
        Hook(multiplexer);
        var capabilities = _store.Connection.Capabilities.IsKnown ? _store.Connection.Capabilities : await _store.Connection.ProbeAsync().ConfigureAwait(false);

        // Both kinds the server has: a publisher that has not yet seen the cluster's topology sends a plain
        // PUBLISH (which a Cluster broadcasts to every node), one that has sends SPUBLISH; either is heard.
        List<RedisChannel> channels = [];
        if (capabilities.Supports("publish"))
        {
            channels.Add(RedisChannel.Literal(_channelName));
        }

        if (capabilities.Supports("spublish"))
        {
            channels.Add(RedisChannel.Sharded(_channelName));
        }

        if (channels.Count == 0)
        {
            if (capabilities.IsKnown && Interlocked.Exchange(ref _loggedOff, 1) == 0)
            {
                LogNoPubSub(_store.Logger, capabilities.ToString());
            }

            return false;
        }

        var heard = 0;
        try
        {
            foreach (var channel in channels)
            {
                if (await SubscribeAsync(channel).ConfigureAwait(false))
                {
                    heard++;
                }
            }
        }
        catch (TesseraUnavailableException ex)
        {
            LogSubscribeFailed(_store.Logger, ex.Message);
            return false;
        }

        if (heard == 0)
        {
            return false;
        }

        lock (_gate)
        {
            _subscribed = true;
        }

        _listening = true;
        _everListened = true;
        LogListening(_store.Logger, _channelName, heard > 1 ? "plain and sharded " : string.Empty);
        return true;
    }

    /// <summary>One subscription; a sharded one a server refuses outside cluster mode (Garnet) is skipped: the plain one hears the same notices there.</summary>
    private async Task<bool> SubscribeAsync(RedisChannel channel)
    {
        Action<RedisChannel, RedisValue> handler = OnMessage;
        try
        {
            return await _store.Redis.RunAsync(
                "revocation subscribe",
                static async (db, s) =>
                {
                    await db.Multiplexer.GetSubscriber().SubscribeAsync(s.channel, s.handler).ConfigureAwait(false);
                    return true;
                },
                (channel, handler),
                CancellationToken.None,
                idempotent: true,
                channel.IsSharded ? "SSUBSCRIBE" : "SUBSCRIBE").ConfigureAwait(false);
        }
        catch (Exception ex) when (channel.IsSharded && ex is RedisServerException or TesseraUnavailableException)
        {
            // Not re-sent after a reconnect either.
            var multiplexer = await _store.Connection.GetMultiplexerAsync().ConfigureAwait(false);
            try
            {
                await multiplexer.GetSubscriber().UnsubscribeAsync(channel, handler).ConfigureAwait(false);
            }
            catch (Exception again) when (again is RedisException or TimeoutException)
            {
                // Nothing was subscribed.
            }

            return false;
        }
    }

    /// <summary>A dropped connection may have lost notices: from its failure until the server is probed again, listeners are told to re-check everything.</summary>
    private void Hook(IConnectionMultiplexer multiplexer)
    {
        lock (_gate)
        {
            if (_hooked)
            {
                return;
            }

            _hooked = true;
        }

        multiplexer.ConnectionFailed += (_, _) => _listening = false;
        _store.Connection.CapabilitiesChanged += (_, capabilities) =>
        {
            if (!capabilities.IsKnown || !_everListened)
            {
                return;
            }

            bool subscribed;
            lock (_gate)
            {
                subscribed = _subscribed;
            }

            if (subscribed)
            {
                // StackExchange.Redis subscribes again by itself after a reconnect.
                _listening = true;
            }
            else
            {
                _ = StartAsync();
            }

            Deliver(new RevocationNotice(RevocationScope.Resync, [], null, IsLocal: true));
        };
    }

    private void OnMessage(RedisChannel channel, RedisValue value)
    {
        if (!RevocationMessage.TryParse(value.IsNull ? null : (string?)value, out var origin, out var notice))
        {
            _store.Metrics.RevocationNotices.Add(1, new KeyValuePair<string, object?>(TesseraTelemetry.OutcomeTag, "refused"));
            LogRefused(_store.Logger);
            return;
        }

        if (origin == _origin)
        {
            // Already delivered when it was published.
            return;
        }

        _store.Metrics.RevocationNotices.Add(1, new KeyValuePair<string, object?>(TesseraTelemetry.OutcomeTag, "received"));
        Deliver(notice);
    }

    private void Deliver(RevocationNotice notice)
    {
        foreach (var listener in Volatile.Read(ref _listeners))
        {
            try
            {
                listener(notice);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogListenerFailed(_store.Logger, ex);
            }
        }
    }

    private void Remove(Action<RevocationNotice> listener)
    {
        lock (_gate)
        {
            var at = Array.IndexOf(_listeners, listener);
            if (at >= 0)
            {
                _listeners = [.. _listeners[..at], .. _listeners[(at + 1)..]];
            }
        }
    }

    [LoggerMessage(120, LogLevel.Information, "Revocation notices: listening on the {Kind}channel {Channel}.")]
    private static partial void LogListening(ILogger logger, string channel, string kind);

    [LoggerMessage(121, LogLevel.Warning, "Revocation notices are off: the server has no pub/sub ({Capabilities}). Live connections are re-checked on their interval only.")]
    private static partial void LogNoPubSub(ILogger logger, string capabilities);

    [LoggerMessage(122, LogLevel.Warning, "Revocation notices: could not subscribe ({Reason}); tried again when the connection is back. Live connections are re-checked on their interval meanwhile.")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);

    [LoggerMessage(123, LogLevel.Debug, "Revocation notices: a message that is not a notice was dropped.")]
    private static partial void LogRefused(ILogger logger);

    [LoggerMessage(124, LogLevel.Error, "Revocation notices: a listener failed.")]
    private static partial void LogListenerFailed(ILogger logger, Exception exception);

    private sealed class Listener(RevocationFeed feed, Action<RevocationNotice> listener) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                feed.Remove(listener);
            }
        }
    }
}
