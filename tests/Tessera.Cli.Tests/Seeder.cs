using System.Text;
using StackExchange.Redis;

namespace Tessera.Cli.Tests;

/// <summary>
/// Writes many sessions quickly, straight into Redis in the layout the store uses (one hash per
/// session with its metadata and plain values, a TTL, the user index), from a Lua script that
/// makes a batch per call. For scale tests and the docs/cli.md figure, not through HTTP.
/// </summary>
public static class Seeder
{
    /// <summary>KEYS: none. ARGV: prefix, first index, count, users, now ms, ttl ms, idle ms, value bytes.</summary>
    public const string Script = """
        local prefix, first, count, users = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local now, ttl, idle, bytes = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
        local alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        local value = '\0' .. string.rep('x', bytes)
        for n = first, first + count - 1 do
          local digits, x = {}, n
          for d = 1, 10 do
            local r = x % 64
            digits[d] = string.sub(alphabet, r + 1, r + 1)
            x = math.floor(x / 64)
          end
          local id = table.concat(digits) .. string.rep('A', 33)
          local key = prefix .. id
          local user = 'user' .. (n % users)
          local size = 4 + #value + 1 + 3
          redis.call('HSET', key, '#c', now, '#a', now, '#i', idle, '#d', now + ttl, '#s', size, '#u', user,
            'cart', value, 'n', '\0' .. '42')
          redis.call('PEXPIRE', key, ttl)
          redis.call('ZADD', prefix .. 'user:' .. user, now + ttl, id)
        end
        return count
        """;

    /// <summary>Seeds <paramref name="count"/> sessions under <paramref name="prefix"/> in batches of 1,000.</summary>
    /// <param name="db">The database.</param>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="count">How many sessions.</param>
    /// <param name="users">Over how many users they are spread (session n belongs to user n % users).</param>
    /// <param name="ttl">Their TTL.</param>
    /// <param name="valueBytes">The size of the 'cart' value.</param>
    /// <returns>A task.</returns>
    public static async Task SeedAsync(IDatabase db, string prefix, int count, int users = 100, TimeSpan? ttl = null, int valueBytes = 200)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var life = (long)(ttl ?? TimeSpan.FromMinutes(20)).TotalMilliseconds;
        var tasks = new List<Task>();
        for (var first = 0; first < count; first += 1000)
        {
            tasks.Add(db.ScriptEvaluateAsync(Script, [], [prefix, first, Math.Min(1000, count - first), users, now, life, life, valueBytes]));
        }

        await Task.WhenAll(tasks);
    }

    /// <summary>
    /// The handle (key suffix) of seeded session number <paramref name="n"/>, as the script makes it. A
    /// seeded session has no id: Redis only ever holds handles, and nothing can present these as cookies.
    /// </summary>
    /// <param name="n">The index.</param>
    /// <returns>43 base64url characters.</returns>
    public static string IdOf(int n)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var id = new StringBuilder();
        for (var d = 0; d < 10; d++)
        {
            id.Append(alphabet[n % 64]);
            n /= 64;
        }

        return id.Append('A', 33).ToString();
    }
}
