// The managed memory the near cache holds per kept session: COUNT sessions in the peers contract's
// shape (a username and a page_views counter, signed in from one client address and user agent) are
// created in the Redis at REDIS_URL, then each is read once with the near cache on; the heap after a
// full collection, before and after the reads, divided by the sessions kept. Loopback only; bounded by COUNT.
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Tessera;

var redis = Environment.GetEnvironmentVariable("REDIS_URL") ?? "127.0.0.1:6397";
var count = int.Parse(Environment.GetEnvironmentVariable("COUNT") ?? "10000", CultureInfo.InvariantCulture);
var options = Options.Create(new TesseraOptions
{
    Configuration = redis,
    KeyPrefix = "ncm:",
    NearCache = { Enabled = true, MaxEntries = count + 1, MaxAge = TimeSpan.FromMinutes(10) },
});
await using var connection = new TesseraConnection(options);
var store = new RedisSessionStore(connection, options);
if (!await store.NearCache.StartAsync(TimeSpan.FromSeconds(10)))
{
    Console.Error.WriteLine($"the near cache did not become active ({store.NearCache.State})");
    return 1;
}

var ids = new string[count];
for (var n = 0; n < count; n++)
{
    ids[n] = SessionIds.NewId();
    var changes = new SessionChanges();
    changes.Set("username", Encoding.UTF8.GetBytes($"user{n}"));
    changes.SetCounter("page_views", 1);
    var created = await store.CreateAsync(ids[n], changes, new SessionWrite { ClientIp = "127.0.0.1", UserAgent = "wrk" });
    if (created.Status != CommitStatus.Committed)
    {
        Console.Error.WriteLine($"create {n}: {created.Status}");
        return 1;
    }
}

// One read first, so the JIT and the connection's buffers are not counted.
await store.LoadAsync(ids[0]);
var before = Heap();
var kept0 = store.NearCache.Count;
foreach (var id in ids)
{
    await store.LoadAsync(id);
}

var after = Heap();
var kept = store.NearCache.Count - kept0;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} sessions read once: {kept} kept, heap {before / 1024.0 / 1024:0.0} -> {after / 1024.0 / 1024:0.0} MiB, {(after - before) / (double)Math.Max(1, kept):0} bytes per kept session"));
GC.KeepAlive(ids);
return 0;

static long Heap()
{
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    return GC.GetTotalMemory(forceFullCollection: true);
}
