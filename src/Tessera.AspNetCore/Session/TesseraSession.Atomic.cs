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

    /// <summary>
    /// Runs one atomic operation on the target of <see cref="SessionOperation.Atomic"/>, after the
    /// pending delta (so it sees it). Returns null when the request has no session it may use; the
    /// request is then a new visitor.
    /// </summary>
    private async Task<AtomicResult?> RunAtomicAsync<TState>(
        Func<RedisSessionStore, SessionKey, bool, TState, CancellationToken, Task<AtomicResult>> operation,
        TState state,
        CancellationToken cancellationToken)
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
        switch (result.Status)
        {
            case CommitStatus.Committed:
                // Landed in the target, or (for a request that read it before a rotation) through the
                // tombstone; either way the request keeps its id.
                _state.OnWritten(target.Id);
                return result;
            case CommitStatus.TooLarge:
                throw TooLarge(result.ExceededLimit);
            default:
                // Gone, never held, or rotated away before this request read it: a new visitor now.
                _state.OnNotHeld();
                _view.Empty();
                return null;
        }
    }
}
