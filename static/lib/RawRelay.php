<?php

declare(strict_types=1);

/**
 * Client for the RawRelay control socket.
 *
 * RawRelay holds the browsers' WebSocket connections; PHP tells it, through a local UNIX-domain
 * socket, what to send to whom. One RawRelay object keeps one control connection, opened on the
 * first command and reused for every later one, so a script may send many messages cheaply.
 *
 *     $relay = new RawRelay('/tmp/rawrelay.sock');
 *     $n = $relay->sendJson('QVZS7CQWAE', ['message' => 'Hello']);   // browsers reached
 *
 * Every method that talks to the relay throws RawRelayException when the relay answers
 * `ERR <reason>` (the reason is the exception's message), when it does not answer within the
 * timeout, or when the connection is lost; arguments that cannot be valid (a bad id, text that
 * is not UTF-8) throw InvalidArgumentException before anything is written.
 *
 * PHP 8.2, standard library only. Not safe to share between processes (e.g. across pcntl_fork).
 */
final class RawRelay
{
    /**
     * The connection, or null before the first command and after close() or a broken exchange.
     *
     * @var resource|null
     */
    private $stream = null;

    /**
     * @param string $socketPath     Path of the relay's control socket (its `--control` option).
     * @param float  $timeoutSeconds Longest wait for the connection, for each write and for each read
     *                               of a reply; past it the command fails with RawRelayException.
     */
    public function __construct(
        private readonly string $socketPath = '/tmp/rawrelay.sock',
        private readonly float $timeoutSeconds = 5.0,
    ) {
        if ($socketPath === '' || str_contains($socketPath, "\0")) {
            throw new InvalidArgumentException('socket path must be a non-empty path');
        }
        if (!($timeoutSeconds > 0)) {
            throw new InvalidArgumentException('timeout must be greater than zero');
        }
    }

    /**
     * Closes the control connection, never throwing (see close()).
     */
    public function __destruct()
    {
        $this->close();
    }

    /**
     * Sends a text message to every connection of a board id.
     *
     * A one-line message goes as `SEND MESSAGE <id> <message>`; one holding a LF or CR goes
     * length-prefixed (`SEND TEXT <id> <length>`), so it arrives byte for byte.
     *
     * @param string $id      Board id: 1 to 128 printable ASCII characters, no spaces.
     * @param string $message The text, which must be valid UTF-8 (it may be empty).
     * @return int Number of connections the message was queued for; 0 when none has that id.
     * @throws InvalidArgumentException for a bad id or a message that is not valid UTF-8.
     * @throws RawRelayException on an ERR reply, a timeout or a lost connection.
     */
    public function send(string $id, string $message): int
    {
        self::validateId($id);
        self::requireUtf8($message, 'message');
        if (self::fitsOneLine($message)) {
            return $this->countReply("SEND MESSAGE $id $message\n");
        }
        return $this->countReply('SEND TEXT ' . $id . ' ' . strlen($message) . "\n" . $message);
    }

    /**
     * Sends a value encoded as JSON (unescaped slashes and Unicode) as a text message to a board id.
     *
     * The board page shows the `message` field of a JSON object, so ['message' => 'Hi'] shows "Hi".
     *
     * @param string $id   Board id.
     * @param mixed  $data Anything json_encode() accepts.
     * @return int Number of connections the message was queued for.
     * @throws JsonException when $data cannot be encoded (e.g. strings that are not UTF-8).
     * @throws InvalidArgumentException for a bad id.
     * @throws RawRelayException on an ERR reply, a timeout or a lost connection.
     */
    public function sendJson(string $id, mixed $data): int
    {
        return $this->send($id, self::encodeJson($data));
    }

    /**
     * Sends bytes as a binary message (`SEND BINARY <id> <length>`) to every connection of a board id.
     *
     * @param string $id    Board id.
     * @param string $bytes Any bytes, possibly empty.
     * @return int Number of connections the message was queued for.
     * @throws InvalidArgumentException for a bad id.
     * @throws RawRelayException on an ERR reply, a timeout or a lost connection.
     */
    public function sendBinary(string $id, string $bytes): int
    {
        self::validateId($id);
        return $this->countReply('SEND BINARY ' . $id . ' ' . strlen($bytes) . "\n" . $bytes);
    }

    /**
     * Sends a text message to every open connection, whatever its id.
     *
     * Uses `BROADCAST MESSAGE`, or `BROADCAST TEXT <length>` when the message holds a LF or CR.
     *
     * @param string $message The text, which must be valid UTF-8.
     * @return int Number of connections the message was queued for.
     * @throws InvalidArgumentException for a message that is not valid UTF-8.
     * @throws RawRelayException on an ERR reply, a timeout or a lost connection.
     */
    public function broadcast(string $message): int
    {
        self::requireUtf8($message, 'message');
        if (self::fitsOneLine($message)) {
            return $this->countReply("BROADCAST MESSAGE $message\n");
        }
        return $this->countReply('BROADCAST TEXT ' . strlen($message) . "\n" . $message);
    }

    /**
     * Sends bytes as a binary message to every open connection (`BROADCAST BINARY <length>`).
     *
     * @param string $bytes Any bytes, possibly empty.
     * @return int Number of connections the message was queued for.
     * @throws RawRelayException on an ERR reply, a timeout or a lost connection.
     */
    public function broadcastBinary(string $bytes): int
    {
        return $this->countReply('BROADCAST BINARY ' . strlen($bytes) . "\n" . $bytes);
    }

    /**
     * Lists the open WebSocket connections, oldest first (`LIST WEBSOCKETS`).
     *
     * @return list<array{id: string, address: string}> One entry per connection; the address is
     *         `host:port`, with an IPv6 host in brackets (`[::1]:53124`).
     * @throws RawRelayException on an ERR reply, a malformed reply, a timeout or a lost connection.
     */
    public function list(): array
    {
        $this->write("LIST WEBSOCKETS\n");
        $connections = [];
        while (true) {
            $line = $this->readLine();
            // A data line always holds "<id> <host>:<port>"; ids have no spaces, so an id such as
            // "OK" or "ERR" still cannot make a data line look like "OK <digits>".
            if (preg_match('/^OK \d+$/', $line) === 1) {
                return $connections;
            }
            if (preg_match('/^(\S+) (\S*:\d+)$/', $line, $m) === 1) {
                $connections[] = ['id' => $m[1], 'address' => $m[2]];
                continue;
            }
            $this->failOnStatus($line);
        }
    }

    /**
     * Closes every connection of a board id with a WebSocket close frame (`CLOSE <id> <code> [<reason>]`).
     *
     * @param string $id     Board id.
     * @param int    $code   Close code; the relay accepts 1000-1003, 1007-1014 and 3000-4999 and
     *                       answers others with ERR (thrown here as RawRelayException).
     * @param string $reason Optional reason: UTF-8, at most 123 bytes, no LF or CR.
     * @return int Number of connections being closed.
     * @throws InvalidArgumentException for a bad id or reason.
     * @throws RawRelayException on an ERR reply (e.g. "invalid close code"), a timeout or a lost connection.
     */
    public function closeClients(string $id, int $code = 1000, string $reason = ''): int
    {
        self::validateId($id);
        if (!self::fitsOneLine($reason)) {
            throw new InvalidArgumentException('close reason must not hold LF or CR');
        }
        self::requireUtf8($reason, 'close reason');
        if (strlen($reason) > 123) {
            throw new InvalidArgumentException('close reason must be at most 123 bytes');
        }
        $command = "CLOSE $id $code" . ($reason === '' ? '' : " $reason") . "\n";
        return $this->countReply($command);
    }

    /**
     * Reads the relay's counters (`STATS`).
     *
     * @return array<string, int> Name => value: connections, connections_total, messages_out,
     *         messages_in, bytes_out, bytes_in, slow_clients_dropped, uptime_seconds (and any other
     *         counters the relay reports).
     * @throws RawRelayException on an ERR reply, a malformed reply, a timeout or a lost connection.
     */
    public function stats(): array
    {
        $this->write("STATS\n");
        $stats = [];
        while (true) {
            $line = $this->readLine();
            if ($line === 'OK' || str_starts_with($line, 'OK ')) {
                return $stats;
            }
            if (preg_match('/^(\S+) (-?\d+)$/', $line, $m) === 1) {
                $stats[$m[1]] = (int) $m[2];
                continue;
            }
            $this->failOnStatus($line);
        }
    }

    /**
     * Ends the control connection politely: sends `QUIT`, waits for `OK bye`, closes the socket.
     *
     * Never throws: a relay that is gone or does not answer only means the socket is closed
     * without ceremony. Safe to call several times; a later command opens a new connection.
     */
    public function close(): void
    {
        $stream = $this->stream;
        if ($stream === null) {
            return;
        }
        try {
            $this->write("QUIT\n");
            $this->readLine(); // "OK bye"; anything else changes nothing, we close either way
        } catch (Throwable) {
            // The relay went away or did not answer; closing the socket below is all that is left.
        }
        $this->stream = null;
        if (is_resource($stream)) {
            fclose($stream);
        }
    }

    /**
     * Mints a connection token for a relay started with `--secret`.
     *
     * The browser adds both values to its WebSocket URL: `/websocket?id=<id>&exp=<exp>&token=<token>`.
     * The token is the lowercase hex HMAC-SHA256 of "<id>:<exp>" keyed with the secret. Mint tokens
     * only for ids the current user may read: anyone holding one can receive that id's messages.
     *
     * @param string      $id         Board id.
     * @param int         $ttlSeconds How long the token may be used to connect (at least 1 second).
     * @param string|null $secret     The relay's secret; defaults to getenv('RAWRELAY_SECRET').
     * @return array{exp: int, token: string} Unix time the token expires at, and the token.
     * @throws InvalidArgumentException for a bad id or a ttl below 1.
     * @throws RawRelayException when no secret is given and RAWRELAY_SECRET is unset or empty.
     */
    public static function token(string $id, int $ttlSeconds = 3600, ?string $secret = null): array
    {
        self::validateId($id);
        if ($ttlSeconds < 1) {
            throw new InvalidArgumentException('token lifetime must be at least 1 second');
        }
        if ($secret === null) {
            $env = getenv('RAWRELAY_SECRET');
            $secret = is_string($env) ? $env : '';
        }
        if ($secret === '') {
            throw new RawRelayException('no secret: pass one or set RAWRELAY_SECRET');
        }
        $exp = time() + $ttlSeconds;
        return ['exp' => $exp, 'token' => hash_hmac('sha256', "$id:$exp", $secret)];
    }

    /**
     * Checks that an id is 1 to 128 printable ASCII characters without spaces, as the relay requires.
     *
     * @throws InvalidArgumentException otherwise.
     */
    public static function validateId(string $id): void
    {
        if (preg_match('/^[\x21-\x7E]{1,128}$/D', $id) !== 1) {
            throw new InvalidArgumentException('id must be 1 to 128 printable ASCII characters without spaces');
        }
    }

    /**
     * Encodes a value the way sendJson() sends it.
     *
     * @throws JsonException when it cannot be encoded.
     */
    private static function encodeJson(mixed $data): string
    {
        return json_encode($data, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    }

    /** True when the text can be the rest of a command line (no LF, and no CR the relay would drop). */
    private static function fitsOneLine(string $text): bool
    {
        return strpbrk($text, "\r\n") === false;
    }

    /**
     * @throws InvalidArgumentException when $text is not valid UTF-8 (the relay refuses such text).
     */
    private static function requireUtf8(string $text, string $what): void
    {
        // PCRE's UTF check rejects overlong forms, surrogates and code points above U+10FFFF.
        if (preg_match('//u', $text) !== 1) {
            throw new InvalidArgumentException("$what is not valid UTF-8 (use sendBinary() for bytes)");
        }
    }

    /**
     * Writes one command and reads its `OK <n>` reply.
     *
     * @throws RawRelayException on ERR, on any other reply, on a timeout or a lost connection.
     */
    private function countReply(string $command): int
    {
        $this->write($command);
        $line = $this->readLine();
        if (preg_match('/^OK (\d+)$/', $line, $m) === 1) {
            return (int) $m[1];
        }
        $this->failOnStatus($line);
    }

    /**
     * Throws for a line that is not the expected reply: RawRelayException with the reason of an
     * `ERR <reason>`, or a protocol error (after dropping the connection, which is out of step).
     *
     * @throws RawRelayException always.
     */
    private function failOnStatus(string $line): never
    {
        if ($line === 'ERR' || str_starts_with($line, 'ERR ')) {
            $reason = ltrim(substr($line, 3), ' ');
            if ($reason === 'payload too large') {
                $this->drop(); // the relay closes the connection after this one
            }
            throw new RawRelayException($reason === '' ? 'ERR' : $reason);
        }
        $this->drop();
        throw new RawRelayException('unexpected reply from relay: ' . self::excerpt($line));
    }

    /**
     * Opens the control connection if there is none.
     *
     * @return resource
     * @throws RawRelayException when the socket cannot be reached.
     */
    private function connection()
    {
        if ($this->stream !== null) {
            return $this->stream;
        }
        $errno = 0;
        $errstr = '';
        $stream = @stream_socket_client(
            'unix://' . $this->socketPath,
            $errno,
            $errstr,
            $this->timeoutSeconds,
            STREAM_CLIENT_CONNECT,
        );
        if ($stream === false) {
            $detail = $errstr !== '' ? $errstr : (error_get_last()['message'] ?? 'unknown error');
            throw new RawRelayException("cannot connect to relay at {$this->socketPath}: $detail");
        }
        $seconds = (int) floor($this->timeoutSeconds);
        $micro = (int) round(($this->timeoutSeconds - $seconds) * 1_000_000);
        stream_set_timeout($stream, $seconds, $micro);
        stream_set_write_buffer($stream, 0);
        $this->stream = $stream;
        return $stream;
    }

    /**
     * Writes all of $bytes, looping over partial writes.
     *
     * @throws RawRelayException when the relay stops taking bytes (timeout) or the connection breaks;
     *         if the relay explained why (`ERR payload too large` before closing), that is the message.
     */
    private function write(string $bytes): void
    {
        $reused = $this->stream !== null;
        $stream = $this->connection();
        $length = strlen($bytes);
        $done = 0;
        while ($done < $length) {
            $written = @fwrite($stream, $done === 0 ? $bytes : substr($bytes, $done));
            if ($written === false || $written === 0) {
                $timedOut = (bool) (stream_get_meta_data($stream)['timed_out'] ?? false);
                $reply = $timedOut ? null : $this->tryReadErr($stream);
                $this->drop();
                if ($reused && $done === 0 && !$timedOut && $reply === null) {
                    // The relay closed a connection kept from an earlier command (it restarted, say)
                    // and nothing of this command went out: open a new connection and try once more.
                    $reused = false;
                    $stream = $this->connection();
                    continue;
                }
                if ($reply !== null) {
                    throw new RawRelayException($reply);
                }
                throw new RawRelayException($timedOut
                    ? 'timed out writing to relay'
                    : 'connection to relay lost while writing');
            }
            $done += $written;
        }
    }

    /**
     * After a failed write, reads what the relay may have said before closing, without waiting long.
     *
     * @param resource $stream
     */
    private function tryReadErr($stream): ?string
    {
        stream_set_timeout($stream, 0, 200_000);
        $line = @fgets($stream);
        if (is_string($line) && str_starts_with($line, 'ERR ')) {
            return rtrim(substr($line, 4), "\r\n");
        }
        return null;
    }

    /**
     * Reads one reply line, without its LF (and a CR before it).
     *
     * @throws RawRelayException on a timeout or when the relay closes the connection.
     */
    private function readLine(): string
    {
        $stream = $this->connection();
        $line = fgets($stream);
        if ($line === false || !str_ends_with($line, "\n")) {
            // No line, or only part of one: the timeout struck or the relay closed the connection.
            $timedOut = (bool) (stream_get_meta_data($stream)['timed_out'] ?? false);
            $this->drop();
            throw new RawRelayException($timedOut
                ? 'timed out waiting for the relay to answer'
                : 'relay closed the control connection');
        }
        return rtrim(substr($line, 0, -1), "\r");
    }

    /** Closes the socket without QUIT, after a failure left the exchange out of step. */
    private function drop(): void
    {
        if ($this->stream !== null && is_resource($this->stream)) {
            fclose($this->stream);
        }
        $this->stream = null;
    }

    private static function excerpt(string $line): string
    {
        return strlen($line) > 80 ? substr($line, 0, 80) . '...' : $line;
    }
}

/**
 * The relay answered ERR, did not answer in time, or the control connection was lost.
 *
 * For an ERR reply the message is the relay's reason, e.g. "invalid close code".
 */
class RawRelayException extends RuntimeException
{
}
