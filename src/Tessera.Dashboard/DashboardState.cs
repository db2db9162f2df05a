using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.Admin;
using Tessera.Analytics;

namespace Tessera.Dashboard;

/// <summary>
/// The dashboard's connection and its admin objects, and the overview cache: one scan at a time,
/// reused for <see cref="DashboardOptions.OverviewCacheDuration"/>, bounded by
/// <see cref="DashboardOptions.ScanTimeout"/> and cancelled when the app stops.
/// </summary>
internal sealed class DashboardState : IAsyncDisposable
{
    private readonly RedisSessionStore _store;
    private readonly DashboardOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly Lock _scanLock = new();
    private ConnectionMultiplexer? _own;
    private Parts? _parts;
    private Task<OverviewSnapshot>? _scan;
    private DateTimeOffset _scanFinished;
    private FullScanStatus _fullScan = new(FullScanState.None, default, null, null);
    private CancellationTokenSource? _fullScanCancel;
    private Task? _fullScanTask;
    private bool _cancelRequested;

    public DashboardState(RedisSessionStore store, IOptions<DashboardOptions> options, IHostApplicationLifetime lifetime, ILogger<DashboardState> logger, TesseraAnalytics? analytics = null, TimeProvider? timeProvider = null)
    {
        Time = timeProvider ?? TimeProvider.System;
        _store = store;
        _options = options.Value;
        _options.Validate();
        _logger = logger;
        _stopping = lifetime.ApplicationStopping;
        Analytics = analytics;
    }

    public DashboardOptions Options => _options;

    /// <summary>The app's clock (cache ages, "seen ago").</summary>
    public TimeProvider Time { get; }

    public RedisSessionStore Store => _store;

    /// <summary>The analytics observer when the app registered one (<c>AddTesseraAnalytics()</c>).</summary>
    public TesseraAnalytics? Analytics { get; }

    public string KeyPrefix => _store.Options.KeyPrefix;

    public async Task<Parts> GetAsync(CancellationToken cancellationToken)
    {
        if (_parts is { } ready)
        {
            return ready;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_parts is null)
            {
                IConnectionMultiplexer multiplexer;
                var source = _options.AdminConfiguration ?? _store.Options.Configuration;
                if (source is not null)
                {
                    var config = _options.AdminConfiguration is null
                        ? TesseraConnection.BuildConfiguration(_store.Options)
                        : ConfigurationOptions.Parse(_options.AdminConfiguration);
                    config.AllowAdmin = true;
                    TesseraConnection.CheckReplies(config, source);

                    // The sessions' configuration leaves CONFIG out of the command map (a least-privilege
                    // app user may not run it); the audit needs CONFIG GET, so the admin connection has it.
                    config.CommandMap = CommandMap.Default;
                    config.AbortOnConnectFail = false;
                    config.ClientName = "tessera-dashboard";
                    config.TieBreaker = string.Empty; // no read of a key outside the prefix (an ACL user would be refused)
                    // Under Sentinel the sentinels' connection lives as long as the app, as the dashboard's own does.
                    _own = (await TesseraConnection.ConnectAsync(config).WaitAsync(cancellationToken).ConfigureAwait(false)).Primary;
                    multiplexer = _own;
                }
                else
                {
                    multiplexer = await _store.Connection.GetMultiplexerAsync().ConfigureAwait(false);
                }

                var keyspace = new SessionKeyspace(multiplexer, KeyPrefix, _options.Scan);
                _parts = new Parts(keyspace, new SessionAdmin(keyspace), new RedisDoctor(keyspace), new AnalyticsReader(keyspace.Database, KeyPrefix));
            }

            return _parts;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>The latest overview: a cached one while fresh, else a new scan (shared by every page view that asks meanwhile).</summary>
    public async Task<OverviewSnapshot> OverviewAsync(bool rescan, CancellationToken cancellationToken)
    {
        Task<OverviewSnapshot> scan;
        lock (_scanLock)
        {
            var stale = _scan is null
                || _scan.IsFaulted || _scan.IsCanceled
                || (_scan.IsCompletedSuccessfully && (rescan || Time.GetUtcNow() - _scanFinished > _options.OverviewCacheDuration));
            if (stale)
            {
                _scan = ScanAndStampAsync();
            }

            scan = _scan!;
        }

        return await scan.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The overview's age counts from the end of its scan (a full scan at a million keys outlasts the cache duration).</summary>
    private async Task<OverviewSnapshot> ScanAndStampAsync()
    {
        var snapshot = await ScanAsync().ConfigureAwait(false);
        lock (_scanLock)
        {
            _scanFinished = Time.GetUtcNow();
        }

        return snapshot;
    }

    private async Task<OverviewSnapshot> ScanAsync()
    {
        await Task.Yield();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        bound.CancelAfter(_options.ScanTimeout);
        var ct = bound.Token;
        try
        {
            var parts = await GetAsync(ct).ConfigureAwait(false);
            var sample = _options.OverviewSampleKeys;
            if (sample > 0
                && await parts.Keyspace.CountAllKeysAsync(ct).ConfigureAwait(false) > sample
                && await parts.Keyspace.SupportsSamplingAsync(ct).ConfigureAwait(false))
            {
                var estimate = await parts.Admin.SampleStatsAsync(sample, null, null, ct).ConfigureAwait(false);
                var sampledLive = await parts.Admin.SampleAsync(countSessions: false, ct).ConfigureAwait(false);
                await RecordAsync(parts, sampledLive.At, (long)Math.Round(estimate.Sessions.Value), ct).ConfigureAwait(false);
                return new OverviewSnapshot(estimate, null, sampledLive, [], sampledLive.At);
            }

            return await FullScanAsync(parts, null, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            DashboardLog.ScanFailed(_logger, ex);
            throw;
        }
    }

    /// <summary>One full scan (what <c>tessera stats</c> runs), the INFO counters and the largest sessions' fields.</summary>
    private async Task<OverviewSnapshot> FullScanAsync(Parts parts, IProgress<ScanProgress>? progress, CancellationToken ct)
    {
        var stats = await parts.Admin.CollectStatsAsync(new StatsOptions { Top = _options.Top }, progress, ct).ConfigureAwait(false);
        var live = await parts.Admin.SampleAsync(countSessions: false, ct).ConfigureAwait(false);
        var largest = new List<SessionDetails>();
        foreach (var s in stats.Largest)
        {
            if (s.Handle is { } handle && await parts.Admin.InspectAsync(handle, null, ct).ConfigureAwait(false) is { } details)
            {
                largest.Add(details);
            }
        }

        await RecordAsync(parts, live.At, stats.Sessions, ct).ConfigureAwait(false);
        return new OverviewSnapshot(SessionEstimate.FromStats(stats), stats, live, largest, live.At);
    }

    private static async Task RecordAsync(Parts parts, DateTimeOffset at, long sessions, CancellationToken ct)
    {
        try
        {
            await parts.Analytics.RecordSampleAsync(at, sessions, ct).ConfigureAwait(false);
        }
        catch (RedisServerException)
        {
            // A user without rights to the samples key: the chart of live sessions stays empty.
        }
    }

    /// <summary>The operator's full scan: running (with its progress), or how the last one ended.</summary>
    public FullScanStatus FullScan
    {
        get
        {
            lock (_scanLock)
            {
                return _fullScan;
            }
        }
    }

    /// <summary>
    /// Starts a full scan in the background (one at a time; bounded by <see cref="DashboardOptions.ScanTimeout"/>,
    /// cancelled when the app stops or by <see cref="CancelFullScan"/>). Its result becomes the overview.
    /// </summary>
    /// <returns>False when one is already running.</returns>
    public bool StartFullScan()
    {
        lock (_scanLock)
        {
            if (_fullScan.State == FullScanState.Running)
            {
                return false;
            }

            var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            cancel.CancelAfter(_options.ScanTimeout);
            _fullScanCancel = cancel;
            _fullScan = new FullScanStatus(FullScanState.Running, Time.GetUtcNow(), null, null);
            _fullScanTask = RunFullScanAsync(cancel);
            return true;
        }
    }

    /// <summary>Cancels the running full scan; it stops between batches.</summary>
    /// <returns>False when none was running.</returns>
    public bool CancelFullScan()
    {
        lock (_scanLock)
        {
            if (_fullScan.State != FullScanState.Running || _fullScanCancel is not { } cancel)
            {
                return false;
            }

            _cancelRequested = true;
            cancel.Cancel();
            return true;
        }
    }

    /// <summary>The running full scan's task (tests wait on it).</summary>
    internal Task? FullScanTask
    {
        get
        {
            lock (_scanLock)
            {
                return _fullScanTask;
            }
        }
    }

    private async Task RunFullScanAsync(CancellationTokenSource cancel)
    {
        await Task.Yield();
        var started = _fullScan.Started;
        var progress = new Progress(p =>
        {
            lock (_scanLock)
            {
                if (_fullScan.State == FullScanState.Running)
                {
                    _fullScan = _fullScan with { Progress = p };
                }
            }
        });
        FullScanStatus end;
        try
        {
            var parts = await GetAsync(cancel.Token).ConfigureAwait(false);
            var snapshot = await FullScanAsync(parts, progress, cancel.Token).ConfigureAwait(false);
            lock (_scanLock)
            {
                _scanFinished = Time.GetUtcNow();
                _scan = Task.FromResult(snapshot);
            }

            end = new FullScanStatus(FullScanState.Completed, started, null, Time.GetUtcNow());
        }
        catch (OperationCanceledException)
        {
            end = new FullScanStatus(_cancelRequested ? FullScanState.Cancelled : FullScanState.TimedOut, started, _fullScan.Progress, Time.GetUtcNow());
        }
        catch (Exception ex)
        {
            DashboardLog.ScanFailed(_logger, ex);
            end = new FullScanStatus(FullScanState.Failed, started, _fullScan.Progress, Time.GetUtcNow());
        }

        lock (_scanLock)
        {
            _fullScan = end with { Progress = end.Progress ?? _fullScan.Progress };
            _cancelRequested = false;
            _fullScanCancel = null;
        }

        cancel.Dispose();
    }

    /// <summary>Reports on the scanning thread (no synchronization context).</summary>
    private sealed class Progress(Action<ScanProgress> report) : IProgress<ScanProgress>
    {
        public void Report(ScanProgress value) => report(value);
    }

    public async ValueTask DisposeAsync()
    {
        if (_own is not null)
        {
            await _own.DisposeAsync().ConfigureAwait(false);
        }

        CancelFullScan();
        if (FullScanTask is { } running)
        {
            await running.ConfigureAwait(false);
        }

        _connectLock.Dispose();
    }

    /// <summary>The admin objects over the dashboard's connection.</summary>
    internal sealed record Parts(SessionKeyspace Keyspace, SessionAdmin Admin, RedisDoctor Doctor, AnalyticsReader Analytics);
}
