using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Tessera.TestUtils;

/// <summary>
/// A fault-injection TCP proxy on a free loopback port, between the app under test and a real
/// server: pass with added latency each way (and more on replies only), blackhole (accept, hold every
/// byte, as a partition does: TCP delivers it when it heals), reset every connection (once, or every N
/// ms). Chunks keep their order; latency delays each one from the moment it was read. Built with
/// <c>inspectReplies</c>, it cuts the server's bytes into whole RESP replies and can answer every Nth
/// command twice or not at all (<see cref="ReplyFault"/>): what a buggy server, proxy or middlebox does.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (TcpClient Client, TcpClient Server)> _links = new();
    private readonly Task _accepting;
    private CancellationTokenSource? _resetting;
    private readonly bool _inspectReplies;
    private int _next;
    private int _resets;
    private int _replies;
    private int _faulted;

    /// <summary>Starts a proxy to <paramref name="upstream"/> (host:port on loopback).</summary>
    /// <param name="upstream">The real server.</param>
    /// <param name="inspectReplies">Whether to cut replies into whole RESP frames (needed for <see cref="ReplyFault"/>).</param>
    public FaultProxy(string upstream, bool inspectReplies = false)
    {
        _inspectReplies = inspectReplies;
        var parts = upstream.Split(':');
        _upstream = new IPEndPoint(IPAddress.Parse(parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>The proxy's port.</summary>
    public int Port { get; }

    /// <summary>host:port to connect to instead of the server.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Added delay for each chunk, in each direction.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Added delay for each chunk of a reply (server to client) only, on top of <see cref="Latency"/>: "replies slower than X".</summary>
    public TimeSpan ReplyDelay { get; set; }

    /// <summary>How many connections were reset, by <see cref="Set"/> or <see cref="ResetEvery"/>.</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>The fault in force.</summary>
    public FaultMode Mode { get; private set; }

    /// <summary>What to do to every <see cref="ReplyFaultEvery"/>th reply (counted across connections); needs <c>inspectReplies</c>.</summary>
    public ReplyFault ReplyFault { get; set; }

    /// <summary>Which replies <see cref="ReplyFault"/> hits: every Nth; 0 or less hits none.</summary>
    public int ReplyFaultEvery { get; set; }

    /// <summary>How many replies were duplicated or dropped.</summary>
    public int RepliesFaulted => Volatile.Read(ref _faulted);

    /// <summary>How many whole replies passed (when inspecting).</summary>
    public int Replies => Volatile.Read(ref _replies);

    /// <summary>How many connections the proxy has accepted.</summary>
    public int Accepted => _next;

    /// <summary>Changes the fault; <see cref="FaultMode.Reset"/> resets every open connection at once.</summary>
    /// <param name="mode">The new fault.</param>
    public void Set(FaultMode mode)
    {
        Mode = mode;
        if (mode == FaultMode.Reset)
        {
            ResetAll();
        }
    }

    /// <summary>
    /// Resets every open connection every <paramref name="interval"/> (connections in between pass,
    /// with <see cref="Latency"/>), until <see cref="StopResetting"/>.
    /// </summary>
    /// <param name="interval">How often.</param>
    public void ResetEvery(TimeSpan interval)
    {
        StopResetting();
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _resetting = stop;
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
                {
                    ResetAll();
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    /// <summary>Stops <see cref="ResetEvery"/>.</summary>
    public void StopResetting()
    {
        if (Interlocked.Exchange(ref _resetting, null) is { } stop)
        {
            stop.Cancel();
            stop.Dispose();
        }
    }

    private void ResetAll()
    {
        foreach (var (key, link) in _links)
        {
            Close(key, link, reset: true);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        StopResetting();
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        foreach (var (key, link) in _links)
        {
            Close(key, link, reset: false);
        }

        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            if (Mode == FaultMode.Reset)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            var server = new TcpClient { NoDelay = true };
            try
            {
                await server.ConnectAsync(_upstream, _stop.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            client.NoDelay = true;
            var key = Interlocked.Increment(ref _next);
            _links[key] = (client, server);
            _ = PumpAsync(key, client, server, reply: false);
            _ = PumpAsync(key, server, client, reply: true);
        }
    }

    private async Task PumpAsync(int key, TcpClient from, TcpClient to, bool reply)
    {
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Data)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = WriteAsync(chunks.Reader, to.GetStream());
        var buffer = new byte[16 * 1024];
        var pending = new MemoryStream();
        try
        {
            var input = from.GetStream();
            while (true)
            {
                var n = await input.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                var due = Environment.TickCount64 + (long)(Latency + (reply ? ReplyDelay : TimeSpan.Zero)).TotalMilliseconds;
                if (reply && _inspectReplies)
                {
                    pending.Write(buffer, 0, n);
                    if (WholeReplies(pending) is { Length: > 0 } whole)
                    {
                        chunks.Writer.TryWrite((due, whole));
                    }

                    continue;
                }

                chunks.Writer.TryWrite((due, buffer.AsSpan(0, n).ToArray()));
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }

        chunks.Writer.TryComplete();
        try
        {
            await writer.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }

        if (_links.TryGetValue(key, out var link))
        {
            Close(key, link, reset: false);
        }
    }

    /// <summary>Takes the whole replies out of <paramref name="pending"/>, applying the reply fault; keeps a partial one for later.</summary>
    private byte[] WholeReplies(MemoryStream pending)
    {
        var bytes = pending.GetBuffer().AsSpan(0, (int)pending.Length);
        var output = new MemoryStream();
        var at = 0;
        while (true)
        {
            var end = RespFrame.End(bytes, at);
            if (end < 0)
            {
                break;
            }

            var frame = bytes[at..end];
            var count = Interlocked.Increment(ref _replies);
            var every = ReplyFaultEvery;
            var fault = every > 0 && count % every == 0 ? ReplyFault : ReplyFault.None;
            if (fault == ReplyFault.ArrayError && frame[0] != (byte)'*')
            {
                fault = ReplyFault.None;
            }
            if (fault != ReplyFault.None)
            {
                Interlocked.Increment(ref _faulted);
            }

            if (fault == ReplyFault.ArrayError)
            {
                output.Write("-ERR injected fault\r\n"u8);
            }
            else if (fault != ReplyFault.Drop)
            {
                output.Write(frame);
            }

            if (fault == ReplyFault.Duplicate)
            {
                output.Write(frame);
            }

            at = end;
        }

        var rest = bytes[at..].ToArray();
        pending.SetLength(0);
        pending.Write(rest);
        return output.ToArray();
    }

    private async Task WriteAsync(ChannelReader<(long Due, byte[] Data)> chunks, NetworkStream output)
    {
        await foreach (var (due, data) in chunks.ReadAllAsync(_stop.Token).ConfigureAwait(false))
        {
            var wait = due - Environment.TickCount64;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), _stop.Token).ConfigureAwait(false);
            }

            while (Mode == FaultMode.Blackhole)
            {
                // Held, not dropped: a partition delays bytes; dropping some would desynchronise the stream.
                await Task.Delay(TimeSpan.FromMilliseconds(5), _stop.Token).ConfigureAwait(false);
            }

            await output.WriteAsync(data, _stop.Token).ConfigureAwait(false);
        }
    }

    private void Close(int key, (TcpClient Client, TcpClient Server) link, bool reset)
    {
        if (!_links.TryRemove(key, out _))
        {
            return;
        }

        if (reset)
        {
            Interlocked.Increment(ref _resets);
        }

        foreach (var side in new[] { link.Client, link.Server })
        {
            try
            {
                if (reset)
                {
                    side.Client.LingerState = new LingerOption(true, 0);
                }

                side.Dispose();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
