<?php

declare(strict_types=1);

namespace RawRelay;

use RawRelay\Exception\ConnectionException;
use RawRelay\Exception\ErrorReplyException;
use RawRelay\Exception\InvalidArgumentException;
use RawRelay\Exception\JsonException;
use RawRelay\Exception\RawRelayException;
use RawRelay\Exception\TimeoutException;

/**
 * Client for the RawRelay control socket.
 *
 * RawRelay holds the browsers' WebSocket connections; PHP tells it, through a local UNIX-domain
 * socket, what to send to whom: to an id (every tab of one user), to a channel (every connection
 * subscribed to it), or to everyone. One Client keeps one control connection, opened on the first
 * command and reused for every later one, so a script may send many messages cheaply.
 *
 *     $relay = new Client('/tmp/rawrelay.sock');
 *     $relay->subscribe($visitorId, 'article-42');        // before or after the browser connects
 *     $n = $relay->publishJson('article-42', ['message' => 'New comment']);   // connections reached
 *
 * Text holding a LF or CR goes length-prefixed (`SEND TEXT`, `PUBLISH TEXT`, `BROADCAST TEXT`) and
 * bytes as `... BINARY`, so any string arrives byte for byte.
 *
 * Everything it throws implements RawRelayException: ErrorReplyException for an `ERR <reason>`,
 * ConnectionException (TimeoutException) when the relay cannot be reached or does not answer in
 * time, InvalidArgumentException for an argument that cannot be valid, before anything is sent.
 *
 * PHP 8.2, standard library only. Not safe to share between processes (e.g. across pcntl_fork).
 */
final class Client
{
    private readonly ControlConnection $connection;

    /**
     * @param string $socketPath     Path of the relay's control socket (its `--control` option).
     * @param float  $timeoutSeconds Longest wait for the connection, for each write and for each read
     *                               of a reply; past it the command fails with TimeoutException.
     * @throws InvalidArgumentException for an empty path or a timeout that is not above zero.
     */
    public function __construct(string $socketPath = '/tmp/rawrelay.sock', float $timeoutSeconds = 5.0)
    {
        if ($socketPath === '' || str_contains($socketPath, "\0")) {
            throw new InvalidArgumentException('socket path must be a non-empty path');
        }
        if (!($timeoutSeconds > 0)) {
            throw new InvalidArgumentException('timeout must be greater than zero');
        }
        $this->connection = new ControlConnection($socketPath, $timeoutSeconds);
    }

    /** Closes the control connection, never throwing (see close()). */
    public function __destruct()
    {
        $this->close();
    }

    // ---- to an id -------------------------------------------------------------------------------

    /**
     * Sends a text message to every connection of an id (`SEND MESSAGE`, or `SEND TEXT` for text
     * with a LF or CR).
     *
     * @param string $id      1 to 128 printable ASCII characters, no spaces.
     * @param string $message The text, which must be valid UTF-8 (it may be empty).
     * @return int Connections the message was queued for; 0 when none has that id.
     * @throws InvalidArgumentException for a bad id or a message that is not valid UTF-8.
     * @throws ErrorReplyException|ConnectionException
     */
    public function send(string $id, string $message): int
    {
        Names::validateId($id);
        return $this->text('SEND', $id, $message);
    }

    /**
     * Sends a value encoded as JSON (unescaped slashes and Unicode) as a text message to an id.
     * The demo pages show the `message` field of a JSON object, so ['message' => 'Hi'] shows "Hi".
     *
     * @throws JsonException when $data cannot be encoded.
     * @throws InvalidArgumentException|ErrorReplyException|ConnectionException
     */
    public function sendJson(string $id, mixed $data): int
    {
        return $this->send($id, self::encodeJson($data));
    }

    /**
     * Sends bytes as a binary message to every connection of an id (`SEND BINARY <id> <length>`).
     *
     * @throws InvalidArgumentException for a bad id.
     * @throws ErrorReplyException|ConnectionException
     */
    public function sendBinary(string $id, string $bytes): int
    {
        Names::validateId($id);
        return $this->binary('SEND', $id, $bytes);
    }

    // ---- to a channel ---------------------------------------------------------------------------

    /**
     * Sends a text message to every connection on a channel (`PUBLISH MESSAGE`, or `PUBLISH TEXT`
     * for text with a LF or CR).
     *
     * @param string $channel 1 to 200 characters of A-Z a-z 0-9 _ - = @ , . ;
     * @param string $message The text, which must be valid UTF-8 (it may be empty).
     * @return int Connections on the channel the message was queued for; 0 when none.
     * @throws InvalidArgumentException for a bad channel name or a message that is not valid UTF-8.
     * @throws ErrorReplyException|ConnectionException
     */
    public function publish(string $channel, string $message): int
    {
        Names::validateChannel($channel);
        return $this->text('PUBLISH', $channel, $message);
    }

    /**
     * Publishes a value encoded as JSON, as sendJson() encodes it.
     *
     * @throws JsonException when $data cannot be encoded.
     * @throws InvalidArgumentException|ErrorReplyException|ConnectionException
     */
    public function publishJson(string $channel, mixed $data): int
    {
        return $this->publish($channel, self::encodeJson($data));
    }

    /**
     * Publishes bytes as a binary message (`PUBLISH BINARY <channel> <length>`).
     *
     * @throws InvalidArgumentException for a bad channel name.
     * @throws ErrorReplyException|ConnectionException
     */
    public function publishBinary(string $channel, string $bytes): int
    {
        Names::validateChannel($channel);
        return $this->binary('PUBLISH', $channel, $bytes);
    }

    /**
     * Puts an id on a channel (`SUBSCRIBE <id> <channel>`): every open connection of the id now,
     * and every one it opens later, so a page may subscribe its visitor while it renders, before the
     * browser connects. The relay forgets the subscription after UNSUBSCRIBE, or once the id has had
     * no open connection for its `--subscription-ttl` (600 s by default).
     *
     * @return int The id's open connections, all on the channel now (0 is fine: it holds for later ones).
     * @throws InvalidArgumentException for a bad id or channel name.
     * @throws ErrorReplyException "too many channels" past the relay's `--max-channels` for one id.
     * @throws ConnectionException
     */
    public function subscribe(string $id, string $channel): int
    {
        Names::validateId($id);
        Names::validateChannel($channel);
        return $this->countReply("SUBSCRIBE $id $channel\n");
    }

    /**
     * Takes an id off a channel (`UNSUBSCRIBE <id> <channel>`): its subscription, and its open
     * connections, also those that asked for the channel when they connected.
     *
     * @return int The id's open connections that left the channel.
     * @throws InvalidArgumentException|ErrorReplyException|ConnectionException
     */
    public function unsubscribe(string $id, string $channel): int
    {
        Names::validateId($id);
        Names::validateChannel($channel);
        return $this->countReply("UNSUBSCRIBE $id $channel\n");
    }

    /**
     * The channels of an id (`CHANNELS <id>`): its subscriptions and those its open connections
     * asked for when they connected.
     *
     * @return list<string> Channel names.
     * @throws InvalidArgumentException|ErrorReplyException|ConnectionException
     */
    public function channels(string $id): array
    {
        Names::validateId($id);
        $this->connection->write("CHANNELS $id\n");
        return $this->readList(static fn (string $line): ?array
            => preg_match('/^channel (\S+)$/', $line, $m) === 1 ? [null, $m[1]] : null);
    }

    /**
     * Every channel with a connection or a subscribed id (`LIST CHANNELS`), in byte order.
     *
     * @return array<string, int> Channel name => connections on it.
     * @throws ErrorReplyException|ConnectionException
     */
    public function listChannels(): array
    {
        $this->connection->write("LIST CHANNELS\n");
        return $this->readList(static fn (string $line): ?array
            => preg_match('/^channel (\S+) (\d+)$/', $line, $m) === 1 ? [$m[1], (int) $m[2]] : null);
    }

    // ---- to everyone, and the rest --------------------------------------------------------------

    /**
     * Sends a text message to every open connection (`BROADCAST MESSAGE` or `BROADCAST TEXT`).
     *
     * @throws InvalidArgumentException for a message that is not valid UTF-8.
     * @throws ErrorReplyException|ConnectionException
     */
    public function broadcast(string $message): int
    {
        return $this->text('BROADCAST', null, $message);
    }

    /**
     * Sends bytes as a binary message to every open connection (`BROADCAST BINARY <length>`).
     *
     * @throws ErrorReplyException|ConnectionException
     */
    public function broadcastBinary(string $bytes): int
    {
        return $this->binary('BROADCAST', null, $bytes);
    }

    /**
     * The open WebSocket connections, oldest first (`LIST WEBSOCKETS`), or those on one channel
     * (`LIST WEBSOCKETS <channel>`).
     *
     * @return list<array{id: string, address: string}> One entry per connection; the address is
     *         `host:port`, with an IPv6 host in brackets (`[::1]:53124`).
     * @throws InvalidArgumentException for a bad channel name.
     * @throws ErrorReplyException|ConnectionException
     */
    public function list(?string $channel = null): array
    {
        if ($channel !== null) {
            Names::validateChannel($channel);
        }
        $this->connection->write($channel === null ? "LIST WEBSOCKETS\n" : "LIST WEBSOCKETS $channel\n");
        // A data line is "<id> <host>:<port>"; ids have no spaces, so an id such as "OK" still
        // cannot make a data line look like "OK <digits>".
        return $this->readList(static fn (string $line): ?array
            => preg_match('/^(\S+) (\S*:\d+)$/', $line, $m) === 1 ? [null, ['id' => $m[1], 'address' => $m[2]]] : null);
    }

    /**
     * Closes every connection of an id with a WebSocket close frame (`CLOSE <id> <code> [<reason>]`).
     *
     * @param int    $code   The relay accepts 1000-1003, 1007-1014 and 3000-4999 and answers others
     *                       with `ERR invalid close code`.
     * @param string $reason UTF-8, at most 123 bytes, no LF or CR.
     * @return int Connections being closed.
     * @throws InvalidArgumentException for a bad id or reason.
     * @throws ErrorReplyException|ConnectionException
     */
    public function closeClients(string $id, int $code = 1000, string $reason = ''): int
    {
        Names::validateId($id);
        if (!self::fitsOneLine($reason)) {
            throw new InvalidArgumentException('close reason must not hold LF or CR');
        }
        self::requireUtf8($reason, 'close reason');
        if (strlen($reason) > 123) {
            throw new InvalidArgumentException('close reason must be at most 123 bytes');
        }
        return $this->countReply("CLOSE $id $code" . ($reason === '' ? '' : " $reason") . "\n");
    }

    /**
     * The relay's counters (`STATS`).
     *
     * @return array<string, int> Name => value: connections, connections_total, messages_out,
     *         messages_in, bytes_out, bytes_in, slow_clients_dropped, uptime_seconds, channels,
     *         subscriptions, and any other counter the relay reports.
     * @throws ErrorReplyException|ConnectionException
     */
    public function stats(): array
    {
        $this->connection->write("STATS\n");
        $stats = [];
        while (true) {
            $line = $this->connection->readLine();
            if ($line === 'OK' || str_starts_with($line, 'OK ')) {
                return $stats;
            }
            if (preg_match('/^(\S+) (-?\d+)$/', $line, $m) !== 1) {
                $this->failOnStatus($line);
            }
            $stats[$m[1]] = (int) $m[2];
        }
    }

    /**
     * The position of a stream's last message (`POSITION <stream>`), `<epoch>:<offset>`; the offset is
     * 0 while the stream has none. With the relay's `--history`, this also keeps the stream's epoch
     * for the history's ttl.
     *
     * A page that shows what PHP read from its database reads the position first, then the database,
     * and hands the position to the browser's rawrelay.js (`positions: {stream: position}`): the relay
     * then sends the browser everything published after it, so nothing published while the page was
     * being rendered is missed.
     *
     * @param string $stream A channel name, `#<id>` (what SEND sends to the id) or `*` (BROADCAST).
     * @return string `<epoch>:<offset>`, e.g. `k3f9x:41`.
     * @throws InvalidArgumentException for a stream that is none of those.
     * @throws ErrorReplyException|ConnectionException
     */
    public function position(string $stream): string
    {
        Names::validateStream($stream);
        $this->connection->write("POSITION $stream\n");
        $line = $this->connection->readLine();
        if (preg_match('/^OK ([A-Za-z0-9]{1,32}:\d{1,19})$/D', $line, $m) !== 1) {
            $this->failOnStatus($line);
        }
        return $m[1];
    }

    /**
     * Ends the control connection politely: `QUIT`, then closes the socket. Never throws; safe to
     * call several times; a later command opens a new connection.
     */
    public function close(): void
    {
        $this->connection->quit();
    }

    /**
     * Mints a connection token for a relay started with `--secret` (see Token::mint()).
     *
     * The browser adds it to its WebSocket URL:
     * `/websocket?id=<id>&channel=<a>&exp=<exp>&token=<token>`, with the channels in the same order.
     *
     * @param list<string>|string $channels The channels of the query, in its order. A string here is
     *                                      the secret, as in the one-file client's token($id, $ttl, $secret).
     * @param string|null         $secret   The relay's secret; null for getenv('RAWRELAY_SECRET').
     * @return array{exp: int, token: string}
     * @throws InvalidArgumentException for a bad id or channel, a ttl below 1, or no secret.
     */
    public static function token(string $id, int $ttlSeconds = 3600, array|string $channels = [], ?string $secret = null): array
    {
        if (is_string($channels)) {
            if ($secret !== null) {
                throw new InvalidArgumentException('pass the secret once: token($id, $ttl, $channels, $secret)');
            }
            [$channels, $secret] = [[], $channels];
        }
        return Token::mint($id, $ttlSeconds, $channels, $secret);
    }

    /**
     * Checks an id as the relay does: 1 to 128 printable ASCII characters without spaces.
     *
     * @throws InvalidArgumentException otherwise.
     */
    public static function validateId(string $id): void
    {
        Names::validateId($id);
    }

    /**
     * Checks a channel name as the relay does: 1 to 200 characters of A-Z a-z 0-9 _ - = @ , . ;
     *
     * @throws InvalidArgumentException otherwise.
     */
    public static function validateChannel(string $channel): void
    {
        Names::validateChannel($channel);
    }

    // ---- the wire -------------------------------------------------------------------------------

    /** `<VERB> MESSAGE [<target>] <message>`, or `<VERB> TEXT [<target>] <length>` and the text. */
    private function text(string $verb, ?string $target, string $message): int
    {
        self::requireUtf8($message, 'message');
        $to = $target === null ? '' : " $target";
        if (self::fitsOneLine($message)) {
            return $this->countReply("$verb MESSAGE$to $message\n");
        }
        return $this->countReply("$verb TEXT$to " . strlen($message) . "\n" . $message);
    }

    /** `<VERB> BINARY [<target>] <length>` and the bytes. */
    private function binary(string $verb, ?string $target, string $bytes): int
    {
        $to = $target === null ? '' : " $target";
        return $this->countReply("$verb BINARY$to " . strlen($bytes) . "\n" . $bytes);
    }

    /** Writes one command and reads its `OK <n>`. */
    private function countReply(string $command): int
    {
        $this->connection->write($command);
        $line = $this->connection->readLine();
        if (preg_match('/^OK (\d+)$/', $line, $m) !== 1) {
            $this->failOnStatus($line);
        }
        return (int) $m[1];
    }

    /**
     * Reads data lines up to the `OK <count>` that ends them.
     *
     * @template T
     * @param callable(string): (array{0: string|null, 1: T}|null) $parse A data line as [key, value]
     *        (null key: appended), or null when the line is not a data line.
     * @return array<T>
     */
    private function readList(callable $parse): array
    {
        $items = [];
        while (true) {
            $line = $this->connection->readLine();
            if (preg_match('/^OK \d+$/', $line) === 1) {
                return $items;
            }
            $item = $parse($line);
            if ($item === null) {
                $this->failOnStatus($line);
            }
            if ($item[0] === null) {
                $items[] = $item[1];
            } else {
                $items[$item[0]] = $item[1];
            }
        }
    }

    /**
     * Throws for a line that is not the reply expected: ErrorReplyException for `ERR <reason>`,
     * else ConnectionException (after dropping the connection, which is out of step).
     *
     * @throws ErrorReplyException|ConnectionException always.
     */
    private function failOnStatus(string $line): never
    {
        if ($line === 'ERR' || str_starts_with($line, 'ERR ')) {
            $reason = ltrim(substr($line, 3), ' ');
            if ($reason === 'payload too large') {
                $this->connection->drop(); // the relay closes the connection after this one
            }
            throw new ErrorReplyException($reason);
        }
        $this->connection->drop();
        $shown = strlen($line) > 80 ? substr($line, 0, 80) . '...' : $line;
        throw new ConnectionException('unexpected reply from relay: ' . $shown);
    }

    /** @throws JsonException when $data cannot be encoded. */
    private static function encodeJson(mixed $data): string
    {
        try {
            return json_encode($data, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
        } catch (\JsonException $e) {
            throw new JsonException($e->getMessage(), $e->getCode(), $e);
        }
    }

    /** True when the text can be the rest of a command line (no LF, and no CR the relay would drop). */
    private static function fitsOneLine(string $text): bool
    {
        return strpbrk($text, "\r\n") === false;
    }

    /** @throws InvalidArgumentException when $text is not valid UTF-8 (the relay refuses such text). */
    private static function requireUtf8(string $text, string $what): void
    {
        // PCRE's UTF check rejects overlong forms, surrogates and code points above U+10FFFF.
        if (preg_match('//u', $text) !== 1) {
            throw new InvalidArgumentException("$what is not valid UTF-8 (send bytes with sendBinary() or publishBinary())");
        }
    }
}
