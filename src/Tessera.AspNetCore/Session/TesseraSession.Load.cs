using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore;

/// <summary>Reading the session: the load (async and synchronous), the binding check, and how a load result changes the state.</summary>
internal sealed partial class TesseraSession
{
    /// <inheritdoc/>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        if (!_state.NeedsLoad || _degraded)
        {
            return;
        }

        var target = _state.TargetFor(SessionOperation.Read)!.Value;
        LoadResult result;
        try
        {
            result = await _budget.RunAsync(ct => _store.LoadAsync(KeyOf(target.Id), this, _slides, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (TesseraUnavailableException ex) when (_options.OutagePolicy != OutagePolicy.Fail)
        {
            Degrade(ex);
            return;
        }

        Apply(target.Id, result);
    }

    /// <summary>
    /// The outage policy degrades: the rest of the request sees an empty, unavailable session (as the
    /// stock session after a failed load). The cookie is left alone, so the session is back next time.
    /// </summary>
    private void Degrade(TesseraUnavailableException ex)
    {
        _degraded = true;
        _budget.Fail(ex);
        _view.Empty();
        LogDegraded(_logger, _options.OutagePolicy.ToString());
    }

    /// <summary>Loads the session before a call that would otherwise target the cookie unread, when client binding is on.</summary>
    private async Task CheckBindingAsync(CancellationToken cancellationToken)
    {
        if (_options.ClientBinding.IsEnabled && _state.Phase == SessionPhase.Unread)
        {
            await LoadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether this request read its session synchronously (a thread blocked for the round trip): the middleware learns the endpoint from it.</summary>
    public bool LoadedSynchronously { get; private set; }

    private void Load()
    {
        if (!_state.NeedsLoad || _degraded)
        {
            return;
        }

        _budget.ThrowIfFailed();
        var target = _state.TargetFor(SessionOperation.Read)!.Value;
        LoadedSynchronously = true;
        _store.Metrics.SynchronousLoads.Add(1);
        LoadResult result;
        try
        {
            result = _store.Load(KeyOf(target.Id), this, _slides);
        }
        catch (TesseraUnavailableException ex)
        {
            _budget.Fail(ex);
            if (_options.OutagePolicy != OutagePolicy.Fail)
            {
                Degrade(ex);
                return;
            }

            throw;
        }

        Apply(target.Id, result);
    }

    private void Apply(string id, LoadResult result)
    {
        if (result is { Status: LoadStatus.Found, Record: { } record })
        {
            if (BindingRefuses(record))
            {
                return;
            }

            // The renewal timeout: a request that slides the session gives it a new id as the response
            // starts (TesseraSession.Renewal.cs); polls marked not to slide do not.
            var renewalDue = _slides && Tessera.Internal.RenewalRule.IsDue(record.ServerTime, record.Metadata, _options.RenewalInterval);
            _state.OnLoaded(id, renewalDue);
            _view.Attach(record);
            if (renewalDue)
            {
                EnsureCallback();
            }

            if (_slides && Tessera.Internal.RefreshRule.IsDue(
                    record.ServerTime.ToUnixTimeMilliseconds(),
                    record.Metadata.LastAccess.ToUnixTimeMilliseconds(),
                    (long)record.Metadata.IdleTimeout.TotalMilliseconds,
                    _options.RefreshGranularity is { } granularity ? Math.Max(1L, (long)granularity.TotalMilliseconds) : 0L))
            {
                // The store sent the sliding refresh with this read (the same rule): the idle expiry moved.
                _slidAt = record.ServerTime;
            }
            if (record.Stale.Count > 0)
            {
                // Stored with a retired key (or before encryption was on): rewritten with this request.
                EnsureCallback();
            }

            return;
        }

        // Strict: an identifier Redis does not hold (or holds as a tombstone) is never adopted.
        if (result.Status == LoadStatus.Rotated)
        {
            LogRotatedIdRefused(_logger, SessionIds.LogTag(id));
        }
        else if (result.Status is LoadStatus.NotFound or LoadStatus.Expired)
        {
            LogAccessingExpired(_logger, SessionIds.LogTag(id));
        }

        _state.OnNotHeld();
        _view.Empty();
    }

    private bool BindingRefuses(SessionRecord record)
    {
        var binding = _options.ClientBinding;
        if (!binding.IsEnabled)
        {
            return false;
        }

        var mismatch = ClientBinding.Mismatch(
            binding,
            _context.Connection.RemoteIpAddress,
            _context.Request.Headers.UserAgent,
            record.Metadata.ClientIp,
            record.Metadata.UserAgent);
        if (mismatch is null)
        {
            return false;
        }

        var tag = SessionIds.LogTag(record.Id);
        _store.Metrics.BindingRejected.Add(1);
        _store.Raise(new TesseraEvent(TesseraEventKind.BindingRejected, tag, record.Metadata.UserId, Detail: mismatch));
        LogBindingMismatch(_logger, tag, mismatch);

        // Not honoured: this request is a new visitor on every path; the session stays for its client.
        _state.OnNotHeld();
        _view.Empty();
        if (binding.OnMismatch == BindingMismatchAction.Reject)
        {
            throw new SessionBindingException($"The session is bound to another client ({mismatch}).");
        }

        return true;
    }
}
