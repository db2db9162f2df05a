// The floor under Tessera's per-request cost: the same host as the peers-bench apps, with
// endpoints that each do one thing against Redis, so run.sh can read the app CPU each one costs.
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls($"http://127.0.0.1:{Environment.GetEnvironmentVariable("PORT") ?? "18096"}");
var app = builder.Build();
var mux = await ConnectionMultiplexer.ConnectAsync(Environment.GetEnvironmentVariable("REDIS_URL") ?? "127.0.0.1:6396");
var db = mux.GetDatabase();
var options = Options.Create(new TesseraOptions());
var store = new RedisSessionStore(new TesseraConnection(mux, options), options);
var id = SessionIds.NewId();
var changes = new SessionChanges();
changes.Set("username", "ada"u8.ToArray());
await store.CreateAsync(id, changes);
RedisKey key = store.KeyFor(id);
// The Load script reads used before they became a plain HGETALL (kept here as the baseline the floor
// compares against; Tessera itself no longer has it): TIME, HGETALL, the metadata checks, the refresh when due.
const string loadScript = """
    local key = KEYS[1]
    local ok, all = pcall(redis.call, 'HGETALL', key)
    if not ok then return {-1} end
    if #all == 0 then return {0} end
    local a, i, d, r
    for n = 1, #all, 2 do
      local f = all[n]
      if string.byte(f, 1) == 35 then
        if f == '#a' then a = tonumber(all[n + 1])
        elseif f == '#i' then i = tonumber(all[n + 1])
        elseif f == '#d' then d = tonumber(all[n + 1])
        elseif f == '#r' then r = all[n + 1] end
      end
    end
    if r then return {2, r} end
    if not (a and i and d) then return {-1} end
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    if now >= d then
      redis.call('DEL', key)
      return {3}
    end
    local g = tonumber(ARGV[1])
    if g <= 0 then g = math.min(math.floor(i / 20), 60000) end
    if now - a >= g then
      redis.call('HSET', key, '#a', now)
      redis.call('PEXPIREAT', key, math.min(now + i, d))
    end
    return {1, now, all}
    """;
var sha = System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(loadScript));
await db.ScriptEvaluateAsync(loadScript, [key], [0]);

// The size curve: one session per size, one value of that many bytes (the shape of aspnet/Benchmarks'
// DistributedCache scenario), read by the store as a request's read is.
var sized = new Dictionary<int, string>();
foreach (var size in new[] { 64, 2048, 32768 })
{
    var sizedId = SessionIds.NewId();
    var value = new SessionChanges();
    value.Set("payload", System.Text.Encoding.ASCII.GetBytes(new string('x', size)));
    await store.CreateAsync(sizedId, value);
    sized[size] = sizedId;
}

app.MapGet("/health", () => Results.Text("ok"));
app.MapGet("/read-{size:int}", async (int size) =>
    sized.TryGetValue(size, out var sid) ? Results.Text((await store.LoadAsync(sid)).Record!.Values["payload"].Length.ToString(System.Globalization.CultureInfo.InvariantCulture)) : Results.NotFound());
app.MapGet("/get", async () => Results.Text((string?)await db.StringGetAsync("k") ?? "none"));
app.MapGet("/hgetall", async () => Results.Text((await db.HashGetAllAsync(key)).Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
app.MapGet("/eval-load", async () => Results.Text(((RedisResult[])(await db.ScriptEvaluateAsync(loadScript, [key], [0]))!).Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
app.MapGet("/evalsha-load", async () => Results.Text(((RedisResult[])(await db.ScriptEvaluateAsync(sha, [key], [0]))!).Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
app.MapGet("/store-load", async () => Results.Text((await store.LoadAsync(id)).Status.ToString()));
app.Run();
