using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Tessera.AspNetCore;

/// <summary>
/// The response body of a request whose session has changes to commit as the response starts. When
/// that commit fails, the handler's bytes are dropped and the problem details the session set up are
/// sent instead, so a 503 or 413 never carries a body that claims success.
/// </summary>
internal sealed class GuardedResponseBody : Stream, IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private readonly Func<byte[]?> _replacement;
    private PipeWriter? _writer;
    private bool _replaced;

    public GuardedResponseBody(IHttpResponseBodyFeature inner, Func<byte[]?> replacement)
    {
        _inner = inner;
        _replacement = replacement;
    }

    Stream IHttpResponseBodyFeature.Stream => this;

    PipeWriter IHttpResponseBodyFeature.Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    void IHttpResponseBodyFeature.DisableBuffering() => _inner.DisableBuffering();

    Task IHttpResponseBodyFeature.StartAsync(CancellationToken cancellationToken) => _inner.StartAsync(cancellationToken);

    async Task IHttpResponseBodyFeature.SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        if (!await StartedCleanAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await _inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
    }

    async Task IHttpResponseBodyFeature.CompleteAsync()
    {
        if (_writer is not null)
        {
            await _writer.CompleteAsync().ConfigureAwait(false);
        }

        await StartedCleanAsync(CancellationToken.None).ConfigureAwait(false);
        await _inner.CompleteAsync().ConfigureAwait(false);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (await StartedCleanAsync(cancellationToken).ConfigureAwait(false))
        {
            await _inner.Stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (await StartedCleanAsync(cancellationToken).ConfigureAwait(false))
        {
            await _inner.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Starts the response (which runs the session's commit); false when the body was replaced.</summary>
    private async ValueTask<bool> StartedCleanAsync(CancellationToken cancellationToken)
    {
        if (_replaced)
        {
            return false;
        }

        await _inner.StartAsync(cancellationToken).ConfigureAwait(false);
        if (_replacement() is not { } problem)
        {
            return true;
        }

        _replaced = true;
        await _inner.Stream.WriteAsync(problem, cancellationToken).ConfigureAwait(false);
        return false;
    }
}
