using System.Text;
using BenchmarkDotNet.Attributes;

namespace Tessera.Benchmarks;

/// <summary>Encryption and compression cost per 1 KB value (a JSON-ish cart), and the codec choice (Brotli q1 vs Deflate fastest).</summary>
[Config(typeof(BenchConfig))]
public class CodecBenchmarks
{
    private const string Id = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private readonly byte[] _value = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 40).Select(i => $"{{\"sku\":\"SKU-{i:D4}\",\"qty\":{i % 3 + 1}}},")))[..1024];
    private ValueCodec _plain = null!;
    private ValueCodec _encrypted = null!;
    private ValueCodec _brotli = null!;
    private ValueCodec _deflate = null!;
    private byte[] _encryptedStored = [];
    private byte[] _brotliStored = [];
    private byte[] _deflateStored = [];

    [GlobalSetup]
    public void Setup()
    {
        _plain = new ValueCodec();
        var key = EncryptionOptions.NewKey();
        _encrypted = new ProtectedValueCodec(new CompressionOptions(), new EncryptionOptions().AddKey(1, key, active: true));
        _brotli = new ProtectedValueCodec(new CompressionOptions { Enabled = true, ThresholdBytes = 512, Algorithm = CompressionAlgorithm.Brotli }, new EncryptionOptions());
        _deflate = new ProtectedValueCodec(new CompressionOptions { Enabled = true, ThresholdBytes = 512, Algorithm = CompressionAlgorithm.Deflate }, new EncryptionOptions());
        _encryptedStored = _encrypted.Encode(Id, "cart", _value);
        _brotliStored = _brotli.Encode(Id, "cart", _value);
        _deflateStored = _deflate.Encode(Id, "cart", _value);
        Console.WriteLine($"// 1 KB value: brotli-q1 {_brotliStored.Length} B, deflate-fastest {_deflateStored.Length} B");
    }

    [Benchmark(Baseline = true, Description = "plain encode 1 KB")]
    public byte[] PlainEncode() => _plain.Encode(Id, "cart", _value);

    [Benchmark(Description = "AES-GCM encode 1 KB")]
    public byte[] EncryptEncode() => _encrypted.Encode(Id, "cart", _value);

    [Benchmark(Description = "AES-GCM decode 1 KB")]
    public byte[] EncryptDecode() => _encrypted.Decode(Id, "cart", _encryptedStored);

    [Benchmark(Description = "Brotli q1 encode 1 KB")]
    public byte[] BrotliEncode() => _brotli.Encode(Id, "cart", _value);

    [Benchmark(Description = "Brotli q1 decode 1 KB")]
    public byte[] BrotliDecode() => _brotli.Decode(Id, "cart", _brotliStored);

    [Benchmark(Description = "Deflate encode 1 KB")]
    public byte[] DeflateEncode() => _deflate.Encode(Id, "cart", _value);

    [Benchmark(Description = "Deflate decode 1 KB")]
    public byte[] DeflateDecode() => _deflate.Decode(Id, "cart", _deflateStored);
}
