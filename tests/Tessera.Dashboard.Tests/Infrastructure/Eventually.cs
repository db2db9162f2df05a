namespace Tessera.Dashboard.Tests;

/// <summary>Bounded waits on a condition (never fixed sleeps).</summary>
public static class Eventually
{
    /// <summary>Retries <paramref name="condition"/> every 100 ms until it holds; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The condition did not hold within {timeout}.");
            }

            await Task.Delay(100);
        }
    }
}
