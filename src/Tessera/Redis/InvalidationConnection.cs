using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace Tessera.Redis;

/// <summary>
/// The near cache's own connection to the primary (StackExchange.Redis has no client-side caching):
/// plain RESP2 over a socket that Tessera owns, so nothing else ever writes to it and its order is
/// known. It registers itself for broadcast invalidations of every key under the prefix
/// (<c>CLIENT TRACKING on REDIRECT {own id} BCAST PREFIX {prefix}</c>) and subscribes to
/// <c>__redis__:invalidate</c>; afterwards it only ever sends <c>PING {token}</c>, and the server only
/// ever sends invalidations and the <c>pong</c>s that echo those tokens. Redis queues a key's
/// invalidation on this connection while the write that changed the key runs, before the writer has
/// its reply; so when a <c>PING</c> sent after a moment comes back, every change finished before that
/// moment has been read from this connection. Anything unexpected (an error, a frame of another shape,
/// a token out of order, an oversized length) is a fault: the owner drops the connection and the cache.
/// </summary>
internal sealed class InvalidationConnection : IAsyncDisposable
{
    /// <summary>The channel Redis sends RESP2 tracking invalidations on.</summary>
    public const string Channel = "__redis__:invalidate";

    /// <summary>The longest bulk string accepted (a key, a token): far over any Tessera key, far under a flood.</summary>
    private const int MaxBulk = 64 * 1024;

    /// <summary>The most keys one invalidation may name.</summary>
    private const int MaxArray = 100_000;

    private readonly Socket? _socket;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly SemaphoreSlim _writing = new(1, 1);
    private int _start;
    private int _end;
    private int _disposed;

    /// <summary>Wraps a connected stream (the socket's, or TLS over it); without a socket only for reading recorded bytes in tests.</summary>
    internal InvalidationConnection(Socket? socket, Stream stream, EndPoint endPoint)
    {
        _socket = socket;
        _stream = stream;
        EndPoint = endPoint;
    }

    /// <summary>The server it is connected to.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The server's id of this connection (<c>CLIENT ID</c>).</summary>
    public long ClientId { get; private set; }

    /// <summary>
    /// Connects, authenticates as the store's own connection does, names itself, and registers for the
    /// prefix's invalidations; every reply is checked to be the one its command expects.
    /// </summary>
    /// <param name="endPoint">The primary.</param>
    /// <param name="config">The store's connection configuration (user, password, TLS, client name).</param>
    /// <param name="prefix">The key prefix whose changes are broadcast.</param>
    /// <param name="cancellationToken">Bounds the whole handshake.</param>
    /// <returns>The registered connection.</returns>
    public static async Task<InvalidationConnection> OpenAsync(EndPoint endPoint, ConfigurationOptions config, string prefix, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        InvalidationConnection? connection = null;
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (config.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions { TargetHost = config.SslHost ?? HostOf(endPoint), EnabledSslProtocols = config.SslProtocols ?? default },
                    cancellationToken).ConfigureAwait(false);
                stream = ssl;
            }

            connection = new InvalidationConnection(socket, stream, endPoint);
            await connection.HandshakeAsync(config, prefix, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>Sends <c>PING {token}</c>; the server answers <c>pong {token}</c> after everything queued before it.</summary>
    /// <param name="token">The token the pong must echo.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when it is written.</returns>
    public Task PingAsync(long token, CancellationToken cancellationToken) =>
        WriteAsync(["PING", token.ToString(CultureInfo.InvariantCulture)], cancellationToken);

    /// <summary>Reads the next message: an invalidation or a pong; anything else throws <see cref="RedisReplyException"/>.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The message.</returns>
    public async ValueTask<InvalidationMessage> ReadAsync(CancellationToken cancellationToken)
    {
        var frame = await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
        return InvalidationMessage.Parse(frame);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            _socket?.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }
        catch (ObjectDisposedException)
        {
            // Already gone.
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket?.Dispose();
    }

    private static string HostOf(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => dns.Host,
        IPEndPoint ip => ip.Address.ToString(),
        _ => endPoint.ToString() ?? string.Empty,
    };

    private async Task HandshakeAsync(ConfigurationOptions config, string prefix, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(config.Password))
        {
            await WriteAsync(string.IsNullOrEmpty(config.User) ? ["AUTH", config.Password] : ["AUTH", config.User, config.Password], cancellationToken).ConfigureAwait(false);
            Expect(await ReadFrameAsync(cancellationToken).ConfigureAwait(false), "OK", "AUTH");
        }

        await WriteAsync(["CLIENT", "SETNAME", (config.ClientName ?? "tessera") + "-near-cache"], cancellationToken).ConfigureAwait(false);
        Expect(await ReadFrameAsync(cancellationToken).ConfigureAwait(false), "OK", "CLIENT SETNAME");

        await WriteAsync(["CLIENT", "ID"], cancellationToken).ConfigureAwait(false);
        ClientId = await ReadFrameAsync(cancellationToken).ConfigureAwait(false) is long id and > 0
            ? id
            : throw new RedisReplyException("CLIENT ID did not answer an id.");

        var own = ClientId.ToString(CultureInfo.InvariantCulture);
        await WriteAsync(["CLIENT", "TRACKING", "on", "REDIRECT", own, "BCAST", "PREFIX", prefix], cancellationToken).ConfigureAwait(false);
        Expect(await ReadFrameAsync(cancellationToken).ConfigureAwait(false), "OK", "CLIENT TRACKING");

        await WriteAsync(["SUBSCRIBE", Channel], cancellationToken).ConfigureAwait(false);
        if (await ReadFrameAsync(cancellationToken).ConfigureAwait(false) is not object?[] { Length: 3 } subscribed
            || subscribed[0] is not string kind || !kind.Equals("subscribe", StringComparison.OrdinalIgnoreCase)
            || subscribed[1] as string != Channel)
        {
            throw new RedisReplyException("SUBSCRIBE did not confirm the invalidation channel.");
        }
    }

    private static void Expect(object? frame, string expected, string command)
    {
        if (frame is RespError error)
        {
            throw new RedisReplyException($"{command} was refused: {error.Message}");
        }

        if (frame as string != expected)
        {
            throw new RedisReplyException($"{command} did not answer {expected}.");
        }
    }

    private async Task WriteAsync(string[] args, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        text.Append('*').Append(args.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var arg in args)
        {
            text.Append('$').Append(Encoding.UTF8.GetByteCount(arg).ToString(CultureInfo.InvariantCulture)).Append("\r\n").Append(arg).Append("\r\n");
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>
    /// One RESP2 frame: a string (simple or bulk), null, a long, a <see cref="RespError"/> or an array of
    /// frames, nested at most once (an invalidation is a message whose payload is the array of keys).
    /// </summary>
    private async ValueTask<object?> ReadFrameAsync(CancellationToken cancellationToken, int depth = 0)
    {
        var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (line.Length == 0)
        {
            throw new RedisReplyException("An empty RESP line.");
        }

        var body = line[1..];
        switch (line[0])
        {
            case '+':
                return body;
            case '-':
                return new RespError(body);
            case ':':
                return ParseLength(body, long.MinValue, long.MaxValue);
            case '$':
                {
                    var length = ParseLength(body, -1, MaxBulk);
                    if (length < 0)
                    {
                        return null;
                    }

                    var bytes = await ReadExactAsync((int)length + 2, cancellationToken).ConfigureAwait(false);
                    if (bytes[^2] != '\r' || bytes[^1] != '\n')
                    {
                        throw new RedisReplyException("A bulk string did not end where its length said.");
                    }

                    return Encoding.UTF8.GetString(bytes, 0, (int)length);
                }

            case '*':
                {
                    if (depth > 1)
                    {
                        throw new RedisReplyException("Arrays nested deeper than an invalidation's.");
                    }

                    var count = ParseLength(body, -1, MaxArray);
                    if (count < 0)
                    {
                        return null;
                    }

                    var items = new object?[count];
                    for (var i = 0; i < count; i++)
                    {
                        items[i] = await ReadFrameAsync(cancellationToken, depth + 1).ConfigureAwait(false);
                    }

                    return items;
                }

            default:
                throw new RedisReplyException("A RESP frame of an unknown type (not RESP2?).");
        }
    }

    private static long ParseLength(string text, long min, long max) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new RedisReplyException("A RESP length or integer out of bounds.");

    private async ValueTask<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
            }

            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf((byte)'\n');
            if (newline < 0)
            {
                line.Append(Encoding.UTF8.GetString(span));
                _start = _end;
            }
            else
            {
                line.Append(Encoding.UTF8.GetString(span[..newline]));
                _start += newline + 1;
                if (line.Length == 0 || line[^1] != '\r')
                {
                    throw new RedisReplyException("A RESP line without its CR.");
                }

                return line.ToString(0, line.Length - 1);
            }

            if (line.Length > MaxBulk)
            {
                throw new RedisReplyException("A RESP line too long.");
            }
        }
    }

    private async ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        var bytes = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
            }

            var take = Math.Min(count - filled, _end - _start);
            Buffer.BlockCopy(_buffer, _start, bytes, filled, take);
            _start += take;
            filled += take;
        }

        return bytes;
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        var read = await _stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new IOException("The server closed the near cache's connection.");
        }

        _start = 0;
        _end = read;
    }
}
