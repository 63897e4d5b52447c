using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using RawRelay.Diagnostics;
using RawRelay.Transport;
using RawRelay.WebSockets;

namespace RawRelay.Http;

/// <summary>
/// Serves one accepted TCP connection until its upgrade: reads the request head (8 KiB, within
/// <c>--handshake-timeout</c>), then answers it with a static file, a refusal, or 101 and hands the
/// socket to a registered <see cref="WebSocketConnection"/>. Thread-safe: shared by all connections.
/// </summary>
internal sealed class HttpConnectionHandler
{
    private static readonly StreamPipeReaderOptions HeadReaderOptions =
        new(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true);

    /// <summary>How long a client may take to read a refusal, or each chunk of a static file.</summary>
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A static file is read and sent this much at a time.</summary>
    private const int FileChunkBytes = 64 * 1024;

    private readonly HttpOptions _options;
    private readonly ConnectionContext _context;
    private readonly HandshakePolicy _policy;
    private readonly StaticFiles? _staticFiles;
    private readonly CancellationToken _stopping;

    public HttpConnectionHandler(HttpOptions options, ConnectionContext context, HandshakePolicy policy,
        StaticFiles? staticFiles, CancellationToken stopping)
    {
        _options = options;
        _context = context;
        _policy = policy;
        _staticFiles = staticFiles;
        _stopping = stopping;
    }

    /// <summary>Runs the handshake; an accepted connection then runs on its own task.</summary>
    public async Task HandleAsync(Socket socket)
    {
        try
        {
            socket.NoDelay = true;
            WebSocketConnection? connection = await HandshakeAsync(socket).ConfigureAwait(false);
            if (connection is null)
                await CloseGracefullyAsync(socket).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // The client vanished during its handshake.
            socket.Dispose();
        }
        catch (OperationCanceledException)
        {
            // The relay is shutting down, or a client did not take its response in time: dropped, not an error.
            socket.Dispose();
        }
        catch (Exception e)
        {
            _context.Log.Error("handshake failed unexpectedly", e);
            socket.Dispose();
        }
    }

    /// <summary>The registered connection, already running, or null when the request was answered otherwise.</summary>
    private async Task<WebSocketConnection?> HandshakeAsync(Socket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.HandshakeTimeout));
        var stream = new NetworkStream(socket, ownsSocket: false);
        PipeReader pipe = PipeReader.Create(stream, HeadReaderOptions);
        var reader = new LineReader(pipe, RequestHeadReader.MaxHeadBytes);
        try
        {
            RequestHeadResult result;
            try
            {
                result = await RequestHeadReader.ReadAsync(reader, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
            {
                await RefuseAsync(socket, 408, "request not complete in time").ConfigureAwait(false);
                return null;
            }

            if (result.Head is not { } head)
            {
                await RefuseAsync(socket, result.Status, result.Reason).ConfigureAwait(false);
                return null;
            }

            if (head.Path != _options.Path)
            {
                await ServeOtherPathAsync(socket, head, result).ConfigureAwait(false);
                return null;
            }

            HandshakeDecision decision = HandshakeValidator.Validate(result, _policy);
            if (!decision.Accepted)
            {
                await RefuseAsync(socket, decision.Status, decision.Reason).ConfigureAwait(false);
                return null;
            }

            IPAddress? forwardedFor = _options.TrustProxy ? ClientAddress.FromForwardedFor(head) : null;
            var connection = new WebSocketConnection(socket, decision.Id, decision.Channels, (IPEndPoint)socket.RemoteEndPoint!, forwardedFor,
                _context.Registry.NextSequence(), _context, decision.Protocol is null ? PlainDialect.Instance : V1Dialect.Instance,
                decision.Since);
            // The 101 is queued first, its flush held by the connection: a message sent to the id the moment
            // it is registered queues behind the 101 instead of overtaking it.
            connection.QueueResponse(HttpResponses.SwitchingProtocols(decision.Key, decision.Protocol));
            if (!_context.Registry.TryAdd(connection, _options.MaxConnections))
            {
                await RefuseAsync(socket, 503, "too many connections").ConfigureAwait(false);
                return null;
            }

            _context.Stats.ConnectionOpened();
            if (_context.Log.IsEnabled(LogLevel.Info))
                _context.Log.Info($"open {connection.Id} {connection.RemoteAddress}");
            byte[] received = System.Buffers.BuffersExtensions.ToArray(reader.Buffered);   // the pipe is completed below
            _ = connection.RunAsync(received);
            if (_stopping.IsCancellationRequested)
                connection.Shutdown(EndReason.ServerShutdown, CloseCode.GoingAway, "server shutdown");  // registered after shutdown's snapshot
            return connection;
        }
        finally
        {
            reader.Complete();
        }
    }

    private async Task ServeOtherPathAsync(Socket socket, RequestHead head, RequestHeadResult result)
    {
        using StaticFile? file = _staticFiles?.Open(head.Path);
        if (file is null)
        {
            await RefuseAsync(socket, 404, "not found").ConfigureAwait(false);
            return;
        }

        if (head.Method is not ("GET" or "HEAD"))
        {
            await RefuseAsync(socket, 405, "method not allowed").ConfigureAwait(false);
            return;
        }

        if (result.IsMalformed)
        {
            await RefuseAsync(socket, result.Status, result.Reason).ConfigureAwait(false);
            return;
        }

        await SendWithinAsync(socket, HttpResponses.FileHead(file.ContentType, file.Length)).ConfigureAwait(false);
        if (head.Method == "GET")
            await SendFileAsync(socket, file).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the file's <see cref="StaticFile.Length"/> bytes a chunk at a time, each read off the engine
    /// threads and each to be taken by the client within <see cref="ResponseTimeout"/>: memory stays one
    /// chunk however large the file. A file that shrank meanwhile ends the response early, and the closed
    /// connection tells the client that its body is short of Content-Length.
    /// </summary>
    private async Task SendFileAsync(Socket socket, StaticFile file)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(FileChunkBytes);
        try
        {
            for (long offset = 0; offset < file.Length;)
            {
                int wanted = (int)Math.Min(chunk.Length, file.Length - offset);
                int read = await RandomAccess.ReadAsync(file.Handle, chunk.AsMemory(0, wanted), offset, _stopping).ConfigureAwait(false);
                if (read == 0)
                    return;
                await SendWithinAsync(socket, chunk.AsMemory(0, read)).ConfigureAwait(false);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static Task RefuseAsync(Socket socket, int status, string reason) =>
        SendWithinAsync(socket, HttpResponses.Refusal(status, reason));

    /// <summary>Sends a response, or part of one; a client that does not take it within <see cref="ResponseTimeout"/> is dropped.</summary>
    private static async Task SendWithinAsync(Socket socket, ReadOnlyMemory<byte> response)
    {
        using var timeout = new CancellationTokenSource(ResponseTimeout);
        await socket.SendAsync(response, SocketFlags.None, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a plain HTTP exchange without a reset: shut down our side, read what the client still sends
    /// (at most a second and 64 KiB), then close; closing with unread bytes would make the kernel send an
    /// RST, which can destroy the response before the client reads it.
    /// </summary>
    private static async Task CloseGracefullyAsync(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var drain = new byte[4096];
            for (int total = 0; total < 64 * 1024;)
            {
                int read = await socket.ReceiveAsync(drain, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                    break;
                total += read;
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client reset or lingered; either way the exchange is over.
        }
        finally
        {
            socket.Dispose();
        }
    }
}
