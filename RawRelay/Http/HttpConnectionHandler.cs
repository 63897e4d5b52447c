using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using RawRelay.Diagnostics;
using RawRelay.Hub;
using RawRelay.Transport;
using RawRelay.WebSockets;

namespace RawRelay.Http;

/// <summary>
/// Serves one accepted TCP connection until its upgrade: reads the request head (8 KiB, within
/// <c>--handshake-timeout</c>), then answers it with a static file, a refusal, or 101 and hands the
/// socket to a registered <see cref="WebSocketConnection"/>. From SIGTERM (<c>stopping</c>) until the listener
/// closes (<c>closed</c>, once every client has been closed) it still answers: upgrades and <c>/healthz</c>
/// with 503, static files as before. Thread-safe: shared by all connections.
/// </summary>
internal sealed class HttpConnectionHandler
{
    /// <summary>Where a load balancer asks whether the relay accepts connections (SPEC).</summary>
    public const string HealthPath = "/healthz";

    /// <summary>A static file is read and sent this much at a time.</summary>
    private const int FileChunkBytes = 64 * 1024;

    private readonly HttpOptions _options;
    private readonly ConnectionContext _context;
    private readonly HandshakePolicy _policy;
    private readonly StaticFiles? _staticFiles;
    private readonly CancellationToken _stopping;
    private readonly CancellationToken _closed;
    private readonly IProtocolRoutes? _routes;

    public HttpConnectionHandler(HttpOptions options, ConnectionContext context, HandshakePolicy policy,
        StaticFiles? staticFiles, CancellationToken stopping, CancellationToken closed, IProtocolRoutes? routes = null)
    {
        _routes = routes;
        _options = options;
        _context = context;
        _policy = policy;
        _staticFiles = staticFiles;
        _stopping = stopping;
        _closed = closed;
    }

    /// <summary>Runs the handshake; an accepted connection then runs on its own task.</summary>
    public async Task HandleAsync(Socket socket)
    {
        try
        {
            socket.NoDelay = true;
            WebSocketConnection? connection = await HandshakeAsync(socket).ConfigureAwait(false);
            if (connection is null)
                await HttpExchange.CloseGracefullyAsync(socket).ConfigureAwait(false);
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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closed);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.HandshakeTimeout));
        var stream = new NetworkStream(socket, ownsSocket: false);
        PipeReader pipe = PipeReader.Create(stream, HttpExchange.HeadReaderOptions);
        var reader = new LineReader(pipe, RequestHeadReader.MaxHeadBytes);
        try
        {
            RequestHeadResult result;
            try
            {
                result = await RequestHeadReader.ReadAsync(reader, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_closed.IsCancellationRequested)
            {
                await RefuseHandshakeAsync(socket, 408, "request not complete in time").ConfigureAwait(false);
                return null;
            }

            if (result.Head is not { } head)
            {
                await RefuseHandshakeAsync(socket, result.Status, result.Reason).ConfigureAwait(false);
                return null;
            }

            if (_routes is not null && _routes.Owns(head.Path))
                return await ServeRouteAsync(socket, reader, result, timeout.Token).ConfigureAwait(false);

            if (head.Path != _options.Path)
            {
                await ServeOtherPathAsync(socket, head, result).ConfigureAwait(false);
                return null;
            }

            if (_stopping.IsCancellationRequested)
            {
                await RefuseHandshakeAsync(socket, 503, "shutting down").ConfigureAwait(false);   // the listener closes soon
                return null;
            }

            HandshakeDecision decision = HandshakeValidator.Validate(result, _policy);
            if (!decision.Accepted)
            {
                await RefuseHandshakeAsync(socket, decision.Status, decision.Reason).ConfigureAwait(false);
                return null;
            }

            return await AcceptAsync(socket, reader, head, decision, decision.Id,
                decision.Protocol is null ? PlainDialect.Instance : V1Dialect.Instance, null).ConfigureAwait(false);
        }
        finally
        {
            reader.Complete();
        }
    }

    /// <summary>Registers the connection of an accepted upgrade and starts it; null (after a 503) when the relay is full.</summary>
    private async Task<WebSocketConnection?> AcceptAsync(Socket socket, LineReader reader, RequestHead head, HandshakeDecision decision,
        string id, IDialect dialect, IConnectionSession? session)
    {
        IPAddress? forwardedFor = _options.TrustProxy ? ClientAddress.FromForwardedFor(head) : null;
        var connection = new WebSocketConnection(socket, id, decision.Channels, (IPEndPoint)socket.RemoteEndPoint!, forwardedFor,
            _context.Registry.NextSequence(), _context, dialect, decision.Since, session);
        // The 101 is queued first, its flush held by the connection: a message sent to the id the moment
        // it is registered queues behind the 101 instead of overtaking it.
        connection.QueueResponse(HttpResponses.SwitchingProtocols(decision.Key, decision.Protocol));
        IClusterMembership? cluster = _context.Registry.Cluster;
        if (cluster is not null)
            await cluster.BeforeAddAsync(connection, _stopping).ConfigureAwait(false);
        if (!_context.Registry.TryAdd(connection, _options.MaxConnections))
        {
            cluster?.Removed(connection, []);
            await RefuseHandshakeAsync(socket, 503, "too many connections").ConfigureAwait(false);
            return null;
        }

        // In a cluster, the connection is on every relay's LIST and on its streams before its 101 goes.
        if (cluster is not null)
            await cluster.AddedAsync(connection, _stopping).ConfigureAwait(false);

        _context.Stats.ConnectionOpened();
        _context.Stats.Handshake(101);
        if (_context.Log.IsEnabled(LogLevel.Info))
            _context.Log.Info($"open {connection.Id} {connection.RemoteAddress}",
                LogField.Of("id", connection.Id), LogField.Of("peer", connection.RemoteAddress));
        byte[] received = System.Buffers.BuffersExtensions.ToArray(reader.Buffered);   // the pipe is completed by the caller
        _ = connection.RunAsync(received);
        if (_stopping.IsCancellationRequested)
            connection.Shutdown(EndReason.ServerShutdown, CloseCode.GoingAway, "server shutdown");  // registered after shutdown's snapshot
        return connection;
    }

    /// <summary>
    /// A request for another protocol's path: an upgrade (checked as RFC 6455 says, then the protocol's
    /// decision) or a plain request, whose body of at most the protocol's bound is read first.
    /// </summary>
    private async Task<WebSocketConnection?> ServeRouteAsync(Socket socket, LineReader reader, RequestHeadResult result, CancellationToken ct)
    {
        RequestHead head = result.Head!;
        if (head.HasToken("Upgrade", "websocket"))
        {
            if (_stopping.IsCancellationRequested)
            {
                await RefuseHandshakeAsync(socket, 503, "shutting down").ConfigureAwait(false);
                return null;
            }

            HandshakeDecision decision = HandshakeValidator.ValidateUpgrade(result, _policy);
            if (!decision.Accepted)
            {
                await RefuseHandshakeAsync(socket, decision.Status, decision.Reason).ConfigureAwait(false);
                return null;
            }

            if (_routes!.Upgrade(head) is not { } upgrade)
            {
                await RefuseHandshakeAsync(socket, 404, "not found").ConfigureAwait(false);
                return null;
            }

            return await AcceptAsync(socket, reader, head, decision, upgrade.Id, upgrade.Dialect, upgrade.Session).ConfigureAwait(false);
        }

        if (result.IsMalformed)
        {
            await RefuseAsync(socket, result.Status, result.Reason).ConfigureAwait(false);
            return null;
        }

        long length = 0;
        string? declared = head["Content-Length"];
        if (head["Transfer-Encoding"] is not null)
        {
            await RefuseAsync(socket, 411, "Content-Length required").ConfigureAwait(false);
            return null;
        }

        if (declared is not null && (head.Count("Content-Length") != 1
            || !long.TryParse(declared.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out length)))
        {
            await RefuseAsync(socket, 400, "bad Content-Length").ConfigureAwait(false);
            return null;
        }

        if (length > _routes!.MaxBodyBytes)
        {
            await RefuseAsync(socket, 413, $"body over {_routes.MaxBodyBytes} bytes").ConfigureAwait(false);
            return null;
        }

        byte[] body = [];
        if (length > 0)
        {
            // curl (under the Pusher PHP SDK's Guzzle) asks before it sends a body over 1 KiB, and waits a
            // second for the answer otherwise (RFC 9110 §10.1.1).
            if (head["Expect"] is { } expect && expect.Trim().Equals("100-continue", StringComparison.OrdinalIgnoreCase) && !reader.IsBuffered(length))
                await HttpExchange.SendWithinAsync(socket, "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray()).ConfigureAwait(false);
            ReadOnlySequence<byte>? read;
            try
            {
                read = await reader.ReadExactlyAsync(length, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_closed.IsCancellationRequested)
            {
                await RefuseAsync(socket, 408, "request not complete in time").ConfigureAwait(false);
                return null;
            }

            if (read is not { } bytes)
                return null;                    // the client left before its body was whole
            body = System.Buffers.BuffersExtensions.ToArray(bytes);
        }

        await HttpExchange.SendWithinAsync(socket, await _routes.ServeAsync(head, body).ConfigureAwait(false)).ConfigureAwait(false);
        return null;
    }

    private async Task ServeOtherPathAsync(Socket socket, RequestHead head, RequestHeadResult result)
    {
        if (head.Path == HealthPath && head.Method is "GET" or "HEAD" && !result.IsMalformed)
        {
            // 200 while the relay accepts connections; 503 from SIGTERM until the listener closes.
            byte[] answer = _stopping.IsCancellationRequested
                ? HttpResponses.Complete(503, "text/plain; charset=utf-8", "shutting down\n"u8, head.Method == "HEAD")
                : HttpResponses.Complete(200, "text/plain; charset=utf-8", "ok\n"u8, head.Method == "HEAD");
            await HttpExchange.SendWithinAsync(socket, answer).ConfigureAwait(false);
            return;
        }

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

        await HttpExchange.SendWithinAsync(socket, HttpResponses.FileHead(file.ContentType, file.Length)).ConfigureAwait(false);
        if (head.Method == "GET")
            await SendFileAsync(socket, file).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the file's <see cref="StaticFile.Length"/> bytes a chunk at a time, each read off the engine
    /// threads and each to be taken by the client within <see cref="HttpExchange.ResponseTimeout"/>: memory stays one
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
                int read = await RandomAccess.ReadAsync(file.Handle, chunk.AsMemory(0, wanted), offset, _closed).ConfigureAwait(false);
                if (read == 0)
                    return;
                await HttpExchange.SendWithinAsync(socket, chunk.AsMemory(0, read)).ConfigureAwait(false);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Refuses a request to the WebSocket endpoint (or one not read in time), and counts it by its status.</summary>
    private Task RefuseHandshakeAsync(Socket socket, int status, string reason)
    {
        _context.Stats.Handshake(status);
        return RefuseAsync(socket, status, reason);
    }

    private static Task RefuseAsync(Socket socket, int status, string reason) =>
        HttpExchange.SendWithinAsync(socket, HttpResponses.Refusal(status, reason));
}
