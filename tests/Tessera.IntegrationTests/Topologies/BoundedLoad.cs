using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tessera.IntegrationTests;

/// <summary>
/// HTTP load for failover and resharding tests, bounded three ways: in requests, in wall time, and
/// per request (a request that takes longer than its timeout is recorded as a hang, status 0).
/// A few workers share the clients; each sends at most one request per pace interval.
/// </summary>
public sealed class BoundedLoad : IAsyncDisposable
{
    private readonly ConcurrentQueue<LoadOutcome> _outcomes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _run;
    private int _sent;

    private BoundedLoad(
        IReadOnlyList<CookieClient> clients,
        Func<int, long, (HttpMethod Method, string Path)> requestFor,
        int workers,
        TimeSpan pace,
        TimeSpan requestTimeout,
        int maxRequests,
        TimeSpan maxDuration)
    {
        _run = Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() =>
            WorkAsync(w, workers, clients, requestFor, pace, requestTimeout, maxRequests, maxDuration))));
    }

    /// <summary>Time since the load started (the clock of <see cref="LoadOutcome.Start"/>).</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>What happened so far, in the order requests finished.</summary>
    public IReadOnlyList<LoadOutcome> Outcomes => [.. _outcomes];

    /// <summary>Starts the load.</summary>
    /// <param name="clients">The browser-like clients (each with its session cookie).</param>
    /// <param name="requestFor">The request a client sends, by client index and that worker's request count.</param>
    /// <param name="workers">Concurrent workers.</param>
    /// <param name="pace">The least time between two requests of one worker.</param>
    /// <param name="requestTimeout">The bound on one request; past it the request counts as a hang.</param>
    /// <param name="maxRequests">The bound on the number of requests.</param>
    /// <param name="maxDuration">The bound on the wall time.</param>
    /// <returns>The running load.</returns>
    public static BoundedLoad Start(
        IReadOnlyList<CookieClient> clients,
        Func<int, long, (HttpMethod Method, string Path)> requestFor,
        int workers = 4,
        TimeSpan? pace = null,
        TimeSpan? requestTimeout = null,
        int maxRequests = 20_000,
        TimeSpan? maxDuration = null) =>
        new(clients, requestFor, workers, pace ?? TimeSpan.FromMilliseconds(20), requestTimeout ?? TimeSpan.FromSeconds(5), maxRequests, maxDuration ?? TimeSpan.FromSeconds(60));

    /// <summary>Waits until the outcomes satisfy a condition, or the bound passes, or the load ends.</summary>
    /// <param name="condition">The condition on the outcomes so far.</param>
    /// <param name="timeout">The bound.</param>
    /// <returns>Whether it held.</returns>
    public async Task<bool> WaitUntilAsync(Func<IReadOnlyList<LoadOutcome>, bool> condition, TimeSpan timeout) =>
        await Eventually.WaitAsync(() => Task.FromResult(condition(Outcomes) || _run.IsCompleted), timeout) && condition(Outcomes);

    /// <summary>Stops the load and waits for requests in flight (each is bounded).</summary>
    /// <returns>Every outcome, ordered by start.</returns>
    public async Task<IReadOnlyList<LoadOutcome>> StopAsync()
    {
        await _stop.CancelAsync();
        await _run;
        return [.. _outcomes.OrderBy(o => o.Start)];
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task WorkAsync(
        int worker,
        int workers,
        IReadOnlyList<CookieClient> clients,
        Func<int, long, (HttpMethod Method, string Path)> requestFor,
        TimeSpan pace,
        TimeSpan requestTimeout,
        int maxRequests,
        TimeSpan maxDuration)
    {
        var mine = Enumerable.Range(0, clients.Count).Where(i => i % workers == worker).ToArray();
        using var timer = new PeriodicTimer(pace);
        for (long n = 0; !_stop.IsCancellationRequested && _clock.Elapsed < maxDuration && Interlocked.Increment(ref _sent) <= maxRequests; n++)
        {
            var index = mine[n % mine.Length];
            var (method, path) = requestFor(index, n / mine.Length);
            var start = _clock.Elapsed;
            int status;
            string body = string.Empty;
            string? error = null;
            using (var cts = new CancellationTokenSource(requestTimeout))
            {
                try
                {
                    using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
                    using var response = await clients[index].Http.SendAsync(request, cts.Token);
                    body = await response.Content.ReadAsStringAsync(cts.Token);
                    status = (int)response.StatusCode;
                }
                catch (OperationCanceledException) when (cts.IsCancellationRequested)
                {
                    status = 0;
                    error = $"no answer within {requestTimeout.TotalSeconds:0.#} s";
                }
                catch (Exception ex)
                {
                    status = 0;
                    error = ex.GetType().Name + ": " + ex.Message;
                }
            }

            _outcomes.Enqueue(new LoadOutcome(index, path, start, _clock.Elapsed - start, status, body, error));
            try
            {
                await timer.WaitForNextTickAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
