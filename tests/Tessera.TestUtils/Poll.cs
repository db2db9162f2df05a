using System.Diagnostics;

namespace Tessera.TestUtils;

/// <summary>Waits for a server condition with a deadline: polls, never a fixed sleep.</summary>
public static class Poll
{
    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds; throws when <paramref name="timeout"/> passes.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="timeout">The bound.</param>
    /// <param name="what">What was awaited, for the failure message.</param>
    /// <param name="detail">More for the failure message (server output, last state), computed only on failure.</param>
    /// <returns>How long it took.</returns>
    /// <exception cref="TimeoutException">The condition did not hold in time.</exception>
    public static TimeSpan Until(Func<bool> condition, TimeSpan timeout, string what, Func<string>? detail = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (condition())
            {
                return clock.Elapsed;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}.{(detail is null ? string.Empty : "\n" + detail())}");
            }

            Thread.Sleep(20);
        }
    }
}
