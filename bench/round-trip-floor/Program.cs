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
var loadScript = (string)typeof(RedisSessionStore).Assembly.GetType("Tessera.Internal.LuaScripts")!.GetField("Load")!.GetValue(null)!;
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
