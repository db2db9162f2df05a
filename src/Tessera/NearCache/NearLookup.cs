using StackExchange.Redis;

namespace Tessera;

/// <summary>
/// The near cache's answer to one read: a hit (the session and the epoch as last read from Redis), a
/// miss registered as a fill (what the read from Redis brings back may be kept, unless a change to
/// either key was heard meanwhile), or a bypass (the cache is not active: read from Redis, keep nothing).
/// </summary>
internal readonly struct NearLookup
{
    private NearLookup(HashEntry[]? entries, long? epoch, string? key, long sequence, long generation)
    {
        Entries = entries;
        Epoch = epoch;
        Key = key;
        Sequence = sequence;
        Generation = generation;
    }

    /// <summary>Read from Redis and keep nothing.</summary>
    public static NearLookup Bypass => default;

    /// <summary>The cached session hash, when a hit.</summary>
    public HashEntry[]? Entries { get; }

    /// <summary>The cached "everyone at once" epoch, when a hit.</summary>
    public long? Epoch { get; }

    /// <summary>The key a fill is registered for (null for a hit or a bypass).</summary>
    public string? Key { get; }

    /// <summary>The invalidation count when the fill was registered.</summary>
    public long Sequence { get; }

    /// <summary>The connection generation when the fill was registered.</summary>
    public long Generation { get; }

    /// <summary>Whether the read was answered from memory.</summary>
    public bool IsHit => Entries is not null;

    /// <summary>Whether a read from Redis may be kept.</summary>
    public bool IsFill => Key is not null;

    /// <summary>A hit.</summary>
    public static NearLookup Hit(HashEntry[] entries, long? epoch) => new(entries, epoch, null, 0, 0);

    /// <summary>A registered fill.</summary>
    public static NearLookup Fill(string key, long sequence, long generation) => new(null, null, key, sequence, generation);
}
