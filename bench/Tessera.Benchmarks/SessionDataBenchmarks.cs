using System.Buffers.Binary;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Tessera.Benchmarks;

/// <summary>
/// Decoding a loaded session and encoding a write. The stock session serializes the whole
/// dictionary into one blob (version, count, then length-prefixed keys and values) and rewrites it
/// all on every change; Tessera decodes hash fields and writes only the changed ones. "stock
/// format" below is that blob layout, re-implemented here for comparison.
/// </summary>
[Config(typeof(BenchConfig))]
public class SessionDataBenchmarks
{
    private const string Id = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private readonly Dictionary<string, byte[]> _values = new(StringComparer.Ordinal);
    private RedisSessionStore _store = null!;
    private HashEntry[] _reply = null!;
    private byte[] _stockBlob = [];
    private SessionChanges _delta = null!;

    [Params(5, 20)]
    public int Fields { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = Options.Create(new TesseraOptions { Configuration = "127.0.0.1:1" });
        _store = new RedisSessionStore(new TesseraConnection(options), options);
        var codec = new ValueCodec();
        var pairs = new List<HashEntry>();
        var far = DateTimeOffset.UtcNow.AddYears(10).ToUnixTimeMilliseconds();
        var recent = DateTimeOffset.UtcNow.AddYears(9).ToUnixTimeMilliseconds();
        foreach (var (f, v) in new[] { ("#c", "1700000000000"), ("#a", recent.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("#i", "1200000"), ("#d", far.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("#s", "400") })
        {
            pairs.Add(new HashEntry(f, v));
        }

        for (var i = 0; i < Fields; i++)
        {
            var value = Encoding.UTF8.GetBytes($"value-{i}-" + new string('x', 40));
            _values[$"key{i}"] = value;
            pairs.Add(new HashEntry($"key{i}", codec.Encode(Id, $"key{i}", value)));
        }

        _reply = [.. pairs];
        _stockBlob = StockSerialize(_values);
        _delta = new SessionChanges();
        _delta.Set("key0", Encoding.UTF8.GetBytes("changed"));
    }

    [Benchmark(Baseline = true, Description = "stock format: deserialize whole blob")]
    [BenchmarkCategory("decode")]
    public Dictionary<string, byte[]> StockDecode() => StockDeserialize(_stockBlob);

    [Benchmark(Description = "Tessera: parse load reply")]
    [BenchmarkCategory("decode")]
    public LoadResult TesseraDecode() => _store.ParseLoadForBenchmark(Id, _reply);

    [Benchmark(Description = "stock format: serialize whole blob (1 key changed)")]
    [BenchmarkCategory("encode")]
    public byte[] StockEncode()
    {
        _values["key0"] = Encoding.UTF8.GetBytes("changed");
        return StockSerialize(_values);
    }

    [Benchmark(Description = "Tessera: encode delta (1 key changed)")]
    [BenchmarkCategory("encode")]
    public RedisValue[] TesseraEncode() => Tessera.Wire.ScriptWire.CommitArgs(SessionIds.Handle(Id), _delta, null, _store.Options, _store.Codec);

    private static byte[] StockSerialize(Dictionary<string, byte[]> values)
    {
        using var output = new MemoryStream();
        output.WriteByte(2);
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, values.Count);
        output.Write(buffer[1..]);
        output.Write(new byte[16]);
        foreach (var (key, value) in values)
        {
            var keyBytes = Encoding.UTF8.GetBytes(key);
            BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)keyBytes.Length);
            output.Write(buffer[..2]);
            output.Write(keyBytes);
            BinaryPrimitives.WriteInt32BigEndian(buffer, value.Length);
            output.Write(buffer);
            output.Write(value);
        }

        return output.ToArray();
    }

    private static Dictionary<string, byte[]> StockDeserialize(byte[] blob)
    {
        var span = blob.AsSpan();
        var count = (span[1] << 16) | (span[2] << 8) | span[3];
        var result = new Dictionary<string, byte[]>(count, StringComparer.Ordinal);
        var n = 4 + 16;
        for (var i = 0; i < count; i++)
        {
            var keyLength = BinaryPrimitives.ReadUInt16BigEndian(span[n..]);
            n += 2;
            var key = Encoding.UTF8.GetString(span.Slice(n, keyLength));
            n += keyLength;
            var valueLength = BinaryPrimitives.ReadInt32BigEndian(span[n..]);
            n += 4;
            result[key] = span.Slice(n, valueLength).ToArray();
            n += valueLength;
        }

        return result;
    }
}
