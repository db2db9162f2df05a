namespace Tessera.IntegrationTests;

/// <summary>Waits on a condition with a bounded deadline, never a fixed sleep.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="timeout">The bound.</param>
    /// <returns>Whether it held in time.</returns>
    public static Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout) => WaitAsync(condition, timeout, TimeSpan.FromMilliseconds(50));

    /// <summary>Polls <paramref name="condition"/> every <paramref name="every"/> until it holds or <paramref name="timeout"/> passes.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="timeout">The bound.</param>
    /// <param name="every">The pause between polls.</param>
    /// <returns>Whether it held in time.</returns>
    public static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan every)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(every);
        }

        return await condition();
    }
}
