using System.Diagnostics;

namespace Tessera.AspNetCore;

/// <summary>
/// One bound for all of a request's Redis work: every call gets what is left of
/// <see cref="TesseraOptions.OperationTimeout"/>, and once a call failed because the store is
/// unavailable, later calls fail at once with the same error instead of waiting the bound again.
/// </summary>
internal sealed class RedisBudget
{
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(50);
    private readonly TimeSpan _total;
    private TimeSpan _left;

    public RedisBudget(TimeSpan total)
    {
        _total = total;
        _left = total;
    }

    /// <summary>The failure that ended the budget, if any.</summary>
    public TesseraUnavailableException? Failure { get; private set; }

    /// <summary>Throws the earlier failure, if any.</summary>
    public void ThrowIfFailed()
    {
        if (Failure is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Records a failure seen outside <see cref="RunAsync{T}"/> (the synchronous load).</summary>
    /// <param name="failure">The failure.</param>
    public void Fail(TesseraUnavailableException failure) => Failure ??= failure;

    /// <summary>Runs one Redis call within what is left of the budget.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="call">The call, given a token that fires when the budget runs out.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    /// <returns>The call's result.</returns>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        ThrowIfFailed();
        if (_left <= TimeSpan.Zero)
        {
            throw Failure = new TesseraUnavailableException($"The session store used this request's whole {_total.TotalSeconds:0.###} s bound.");
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A little past the store's own bound, so a call that uses the whole budget fails with the
        // store's timeout (which the circuit breaker counts), not with this token.
        budget.CancelAfter(_left + Grace);
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await call(budget.Token).ConfigureAwait(false);
        }
        catch (TesseraUnavailableException ex)
        {
            Failure ??= ex;
            throw;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failure = new TesseraUnavailableException($"The session store did not answer within this request's {_total.TotalSeconds:0.###} s bound.", ex);
        }
        finally
        {
            _left -= Stopwatch.GetElapsedTime(started);
        }
    }
}
