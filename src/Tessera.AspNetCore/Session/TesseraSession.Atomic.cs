namespace Tessera.AspNetCore;

/// <summary>Atomic operations: one round trip each, on the id <see cref="RequestSessionState.TargetFor"/> gives.</summary>
internal sealed partial class TesseraSession
{
    /// <inheritdoc/>
    public async Task<long> IncrementAsync(string key, long delta = 1, CancellationToken cancellationToken = default)
    {
        if (await TryIncrementAsync(key, delta, cancellationToken).ConfigureAwait(false) is { } value)
        {
            return value;
        }

        // No session this request may use: a new one, with the counter in it.
        PrepareWrite();
        _view.Pending.SetCounter(key, delta);
        await CommitAsync(cancellationToken).ConfigureAwait(false);
        return delta;
    }

    /// <inheritdoc/>
    public async Task<long?> TryIncrementAsync(string key, long delta = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var result = await RunAtomicAsync(
            static (store, session, follow, state, ct) => store.IncrementAsync(session, state.key, state.delta, follow, ct),
            (key, delta),
            cancellationToken).ConfigureAwait(false);
        if (result is not { } r)
        {
            return null;
        }

        // The rest of the request sees the new value; a later rotation carries it as a counter.
        _view.RememberCounter(key, r.Value);
        return r.Value;
    }

    /// <inheritdoc/>
    public async Task<bool> SetIfAbsentAsync(string key, byte[] value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var result = await RunAtomicAsync(
            static (store, session, follow, state, ct) => store.SetIfAbsentAsync(session, state.key, state.value, follow, ct),
            (key, value),
            cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            // No session yet: a new one holds nothing, so the value is absent; create it with the value.
            PrepareWrite();
            _view.Pending.Set(key, value.AsSpan().ToArray());
            await CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (result.Value.Succeeded)
        {
            _view.Remember(key, value.AsSpan().ToArray());
        }

        return result.Value.Succeeded;
    }

    /// <inheritdoc/>
    public async Task<bool> CompareAndSetAsync(string key, byte[]? expected, byte[] value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var result = await RunAtomicAsync(
            static (store, session, follow, state, ct) => store.CompareAndSetAsync(session, state.key, state.expected, state.value, follow, ct),
            (key, expected, value),
            cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            if (expected is not null)
            {
                return false;
            }

            PrepareWrite();
            _view.Pending.Set(key, value.AsSpan().ToArray());
            await CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (result.Value.Succeeded)
        {
            _view.Remember(key, value.AsSpan().ToArray());
        }

        return result.Value.Succeeded;
    }

    /// <inheritdoc/>
    public async Task<bool> RemoveNowAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var result = await RunAtomicAsync(
            static (store, session, follow, key, ct) => store.RemoveAsync(session, key, follow, ct),
            key,
            cancellationToken).ConfigureAwait(false);
        if (result is { Succeeded: true })
        {
            _view.Remember(key, null);
        }

        return result is { Succeeded: true };
    }

    /// <inheritdoc/>
    public async Task<byte[]?> TakeAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var result = await RunOnTargetAsync(
            static (store, session, follow, key, ct) => store.TakeAsync(session, key, follow, ct),
            key,
            static r => (r.Status, SessionSizeLimit.None),
            cancellationToken).ConfigureAwait(false);
        if (result is not { } r)
        {
            // No session this request may use: nothing to take (and none is created).
            return null;
        }

        // Gone in Redis, so gone for the rest of the request (and a later rotation does not carry it over).
        _view.Remember(key, null);
        return r.Value;
    }

    /// <summary>
    /// A take for a caller that cannot await (MVC's <c>ITempDataProvider</c>): reads the session first, as
    /// the stock provider's <c>TryGetValue</c> does (synchronously the first time, so the middleware learns to
    /// read this endpoint's sessions ahead, awaited: <see cref="SessionPreload"/>); when it holds nothing under
    /// <paramref name="key"/> that is the answer, with no write (a page that shows TempData costs nothing more
    /// when there is none); otherwise <see cref="TakeAsync"/>, waited for, bounded by the request's budget, so
    /// of requests racing for the value exactly one gets it. A session degraded by an outage gives nothing
    /// (and, unless <see cref="OutagePolicy.Fail"/>, an outage met by the take degrades it).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <returns>The value taken, or null.</returns>
    internal byte[]? Take(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Load();
        if (_degraded || (_state.KnowsContents && !_view.Holds(key)))
        {
            return null;
        }

        try
        {
            return TakeAsync(key).GetAwaiter().GetResult();
        }
        catch (TesseraUnavailableException ex) when (_options.OutagePolicy != OutagePolicy.Fail)
        {
            Degrade(ex);
            return null;
        }
    }

    /// <summary>
    /// Runs one atomic operation on the target of <see cref="SessionOperation.Atomic"/>, after the
    /// pending delta (so it sees it). Returns null when the request has no session it may use; the
    /// request is then a new visitor.
    /// </summary>
    private Task<AtomicResult?> RunAtomicAsync<TState>(
        Func<RedisSessionStore, SessionKey, bool, TState, CancellationToken, Task<AtomicResult>> operation,
        TState state,
        CancellationToken cancellationToken) =>
        RunOnTargetAsync(operation, state, static r => (r.Status, r.ExceededLimit), cancellationToken);

    /// <summary>
    /// The one path of the atomic operations (the take included): commits the pending delta first, runs
    /// <paramref name="operation"/> on the target of <see cref="SessionOperation.Atomic"/> and applies its
    /// outcome (<paramref name="outcome"/>: its status and the limit a refusal names) to the request's state.
    /// Returns null when the request has no session it may use.
    /// </summary>
    private async Task<TResult?> RunOnTargetAsync<TState, TResult>(
        Func<RedisSessionStore, SessionKey, bool, TState, CancellationToken, Task<TResult>> operation,
        TState state,
        Func<TResult, (CommitStatus Status, SessionSizeLimit Limit)> outcome,
        CancellationToken cancellationToken)
        where TResult : struct
    {
        await CheckBindingAsync(cancellationToken).ConfigureAwait(false);
        if (_view.IsDirty)
        {
            await CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_state.TargetFor(SessionOperation.Atomic) is not { } target)
        {
            return null;
        }

        var session = KeyOf(target.Id);
        var result = await _budget.RunAsync(ct => operation(_store, session, target.FollowRotation, state, ct), cancellationToken).ConfigureAwait(false);
        var (status, limit) = outcome(result);
        switch (status)
        {
            case CommitStatus.Committed:
                // Landed in the target, or (for a request that read it before a rotation) through the
                // tombstone; either way the request keeps its id.
                _state.OnWritten(target.Id);
                return result;
            case CommitStatus.TooLarge:
                throw TooLarge(limit);
            default:
                // Gone, never held, or rotated away before this request read it: a new visitor now.
                _state.OnNotHeld();
                _view.Empty();
                return null;
        }
    }
}
