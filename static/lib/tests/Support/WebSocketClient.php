<?php

declare(strict_types=1);

namespace RawRelay\Tests\Support;

use RawRelay\Client;
use Throwable;

/**
 * A minimal RFC 6455 client, standing in for a browser: enough to connect to the relay, read what it
 * pushes, send messages of its own and close politely. It checks what the server sends (101 and
 * Sec-WebSocket-Accept, unmasked frames, RSV bits clear, shortest length encoding) and answers
 * pings. Every read has a timeout, so a message that never comes fails the test instead of hanging it.
 */
final class WebSocketClient
{
    public const TEXT = 0x1;
    public const BINARY = 0x2;
    public const CLOSE = 0x8;
    private const CONTINUATION = 0x0;
    private const PING = 0x9;
    private const PONG = 0xA;
    private const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
    private const READ_TIMEOUT_SECONDS = 5;

    /** @param resource $socket */
    private function __construct(private $socket, public readonly string $id)
    {
    }

    /**
     * The query a browser connects with: `id=<id>&channel=<c>...`, with `exp` and `token` covering
     * the channels when the relay has a secret.
     *
     * @param list<string> $channels
     */
    public static function query(RelayEndpoint $relay, string $id, array $channels = []): string
    {
        $query = 'id=' . rawurlencode($id);
        foreach ($channels as $channel) {
            $query .= '&channel=' . rawurlencode($channel);
        }
        if ($relay->secret !== null) {
            $token = Client::token($id, 300, $channels, $relay->secret);
            $query .= '&exp=' . $token['exp'] . '&token=' . $token['token'];
        }
        return $query;
    }

    /**
     * Connects to `/websocket?<query>` and checks the 101; with $protocol, offers that subprotocol
     * (`Sec-WebSocket-Protocol`) and checks that the relay selected it.
     *
     * @throws WebSocketFailure when the relay answers anything else.
     */
    public static function connect(RelayEndpoint $relay, string $query, ?string $protocol = null): self
    {
        [$status, $ws, $selected] = self::handshake($relay, $query, $protocol);
        if ($status !== 101) {
            $ws->closeSocket();
            throw new WebSocketFailure("handshake for ?$query answered $status, expected 101");
        }
        if ($protocol !== null && $selected !== $protocol) {
            $ws->close();
            throw new WebSocketFailure("the relay selected subprotocol '$selected', not $protocol");
        }
        return $ws;
    }

    /** The HTTP status the relay answers to `/websocket?<query>` (101 for a connection, closed again). */
    public static function handshakeStatus(RelayEndpoint $relay, string $query): int
    {
        [$status, $ws] = self::handshake($relay, $query);
        $status === 101 ? $ws->close() : $ws->closeSocket();
        return $status;
    }

    /** The local address of this connection as the relay lists it, e.g. "127.0.0.1:53124". */
    public function localAddress(): string
    {
        return (string) stream_socket_get_name($this->socket, false);
    }

    /**
     * The next message as [opcode, payload], answering pings on the way; a close frame comes as
     * [CLOSE, its payload].
     *
     * @return array{0: int, 1: string}
     */
    public function receive(): array
    {
        $message = null;
        $messageOpcode = 0;
        while (true) {
            [$fin, $opcode, $payload] = $this->readFrame();
            if ($opcode === self::PING) {
                $this->writeFrame(self::PONG, $payload);
                continue;
            }
            if ($opcode === self::PONG) {
                continue;
            }
            if ($opcode === self::CLOSE) {
                return [self::CLOSE, $payload];
            }
            if ($opcode === self::CONTINUATION) {
                self::check($message !== null, 'continuation frame with no message open');
                $message .= $payload;
            } else {
                self::check($message === null, 'new data frame inside a fragmented message');
                self::check($opcode === self::TEXT || $opcode === self::BINARY, "unknown opcode $opcode");
                $message = $payload;
                $messageOpcode = $opcode;
            }
            if ($fin) {
                return [$messageOpcode, $message];
            }
        }
    }

    /** The next message, which must be text. */
    public function receiveText(): string
    {
        return $this->receiveOf(self::TEXT, 'text');
    }

    /** The next message, which must be binary. */
    public function receiveBinary(): string
    {
        return $this->receiveOf(self::BINARY, 'binary');
    }

    /** Sends a text message (one masked frame), as a browser's WebSocket.send(string) does. */
    public function sendText(string $text): void
    {
        $this->writeFrame(self::TEXT, $text);
    }

    /** Sends a binary message (one masked frame). */
    public function sendBinary(string $bytes): void
    {
        $this->writeFrame(self::BINARY, $bytes);
    }

    /** Sends a masked close frame and waits briefly for the relay's answer; never throws. */
    public function close(int $code = 1000): void
    {
        if (!is_resource($this->socket)) {
            return;
        }
        try {
            $this->writeFrame(self::CLOSE, pack('n', $code));
            stream_set_timeout($this->socket, 2);
            for ($i = 0; $i < 100 && $this->receive()[0] !== self::CLOSE; $i++) {
                // messages still on their way before the relay's close frame
            }
        } catch (Throwable) {
            // The relay may already have closed the connection; the socket is closed below.
        }
        $this->closeSocket();
    }

    /** @return array{0: int, 1: self, 2: ?string} The status of the response, the connection, the subprotocol selected. */
    private static function handshake(RelayEndpoint $relay, string $query, ?string $protocol = null): array
    {
        $socket = @stream_socket_client("tcp://{$relay->host}:{$relay->port}", $errno, $errstr, self::READ_TIMEOUT_SECONDS);
        if ($socket === false) {
            throw new WebSocketFailure("cannot connect to relay at {$relay->host}:{$relay->port}: $errstr");
        }
        stream_set_timeout($socket, self::READ_TIMEOUT_SECONDS);
        parse_str($query, $fields);
        $ws = new self($socket, is_string($fields['id'] ?? null) ? $fields['id'] : '');

        $key = base64_encode(random_bytes(16));
        $host = str_contains($relay->host, ':') ? "[{$relay->host}]:{$relay->port}" : "{$relay->host}:{$relay->port}";
        $ws->writeAll("GET /websocket?$query HTTP/1.1\r\nHost: $host\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            . "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n"
            . ($protocol === null ? '' : "Sec-WebSocket-Protocol: $protocol\r\n") . "\r\n");

        $statusLine = $ws->readHeadLine();
        if (preg_match('#^HTTP/1\.1 (\d{3})\b#', $statusLine, $m) !== 1) {
            throw new WebSocketFailure("not an HTTP response: '$statusLine'");
        }
        $headers = [];
        while (($line = $ws->readHeadLine()) !== '') {
            [$name, $value] = array_pad(explode(':', $line, 2), 2, '');
            $headers[strtolower(trim($name))] = trim($value);
        }
        $status = (int) $m[1];
        if ($status === 101) {
            $accept = base64_encode(sha1($key . self::GUID, true));
            self::check(($headers['sec-websocket-accept'] ?? null) === $accept, 'Sec-WebSocket-Accept is wrong');
            self::check(strcasecmp($headers['upgrade'] ?? '', 'websocket') === 0, 'Upgrade header is not websocket');
            self::check(preg_match('/(^|,)\s*upgrade\s*(,|$)/i', $headers['connection'] ?? '') === 1,
                'Connection header does not hold Upgrade');
        }
        return [$status, $ws, $headers['sec-websocket-protocol'] ?? null];
    }

    private function receiveOf(int $expected, string $what): string
    {
        [$opcode, $payload] = $this->receive();
        if ($opcode !== $expected) {
            $shown = strlen($payload) > 60 ? substr($payload, 0, 60) . '...' : $payload;
            throw new WebSocketFailure("'{$this->id}' expected a $what message, got opcode $opcode: " . json_encode(
                $shown, JSON_INVALID_UTF8_SUBSTITUTE | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES));
        }
        return $payload;
    }

    /** @return array{0: bool, 1: int, 2: string} FIN, opcode, payload. */
    private function readFrame(): array
    {
        [$b0, $b1] = array_values(unpack('C2', $this->readExact(2)));
        self::check(($b0 & 0x70) === 0, sprintf('server frame has RSV bits set (0x%02x)', $b0));
        self::check(($b1 & 0x80) === 0, 'server frame is masked');
        $length = $b1 & 0x7F;
        if ($length === 126) {
            $length = unpack('n', $this->readExact(2))[1];
            self::check($length >= 126, "16-bit length $length is not the shortest encoding");
        } elseif ($length === 127) {
            $length = unpack('J', $this->readExact(8))[1];
            self::check($length >= 65536, "64-bit length $length is not the shortest encoding");
            self::check($length <= 64 * 1024 * 1024, "frame length $length is beyond what these tests send");
        }
        return [($b0 & 0x80) !== 0, $b0 & 0x0F, $this->readExact($length)];
    }

    private function writeFrame(int $opcode, string $payload): void
    {
        $length = strlen($payload);
        $head = chr(0x80 | $opcode);
        if ($length < 126) {
            $head .= chr(0x80 | $length);
        } elseif ($length < 65536) {
            $head .= chr(0x80 | 126) . pack('n', $length);
        } else {
            $head .= chr(0x80 | 127) . pack('J', $length);
        }
        $mask = random_bytes(4);
        $masked = $length === 0 ? '' : $payload ^ str_repeat($mask, intdiv($length + 3, 4));
        $this->writeAll($head . $mask . substr($masked, 0, $length));
    }

    private function writeAll(string $bytes): void
    {
        while ($bytes !== '') {
            $n = @fwrite($this->socket, $bytes);
            self::check($n !== false && $n > 0, "writing to the relay for '{$this->id}' failed");
            $bytes = substr($bytes, $n);
        }
    }

    private function readHeadLine(): string
    {
        $line = fgets($this->socket, 8192);
        if ($line === false || !str_ends_with($line, "\n")) {
            throw new WebSocketFailure($this->readProblem('the handshake response'));
        }
        return rtrim($line, "\r\n");
    }

    private function readExact(int $n): string
    {
        $buffer = '';
        while (strlen($buffer) < $n) {
            $chunk = fread($this->socket, $n - strlen($buffer));
            if ($chunk === false || $chunk === '') {
                throw new WebSocketFailure($this->readProblem('a frame') . ' (' . strlen($buffer) . " of $n bytes read)");
            }
            $buffer .= $chunk;
        }
        return $buffer;
    }

    private function readProblem(string $what): string
    {
        return stream_get_meta_data($this->socket)['timed_out']
            ? "'{$this->id}' timed out after " . self::READ_TIMEOUT_SECONDS . " s waiting for $what"
            : "'{$this->id}': connection closed while waiting for $what";
    }

    private function closeSocket(): void
    {
        if (is_resource($this->socket)) {
            fclose($this->socket);
        }
    }

    /** @throws WebSocketFailure when $condition is false. */
    private static function check(bool $condition, string $detail): void
    {
        if (!$condition) {
            throw new WebSocketFailure($detail);
        }
    }
}
