<?php

declare(strict_types=1);

/*
 * End-to-end tests of the PHP client static/lib/RawRelay.php against a running relay.
 *
 *   php client_test.php --list          the case names, one per line
 *   php client_test.php <case>          runs one case: prints "PASS <case>" and exits 0,
 *                                       or prints "FAIL <case>: <detail>" and exits 1
 *   php client_test.php all             runs every case in turn (for people; exits 1 if any failed)
 *
 * Environment: RAWRELAY_CONTROL (control socket path), RAWRELAY_PORT (the relay's TCP port),
 * optionally RAWRELAY_HOST (default 127.0.0.1) and RAWRELAY_SECRET (when the relay runs with
 * --secret, the boards opened here carry a token minted with it).
 *
 * Each case checks delivery itself with the small WebSocket client below. Every socket read has a
 * 5 second timeout, and an alarm ends the whole run after 60 seconds, so nothing can hang. Ids are
 * random per case, and text starting with BROADCAST_MARK is skipped by the boards, so cases may run
 * in parallel against one relay.
 */

require __DIR__ . '/../../static/lib/RawRelay.php';

const READ_TIMEOUT_SECONDS = 5;
const RUN_TIMEOUT_SECONDS = 60;
const BROADCAST_MARK = 'rawrelay-php-test-broadcast:';
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xA;

/** A check that did not hold; its message is the detail printed after "FAIL <case>: ". */
final class TestFailure extends Exception
{
}

/**
 * A minimal RFC 6455 client: enough to open a board, read what the relay pushes and close politely.
 * It checks what the server sends (101 and Sec-WebSocket-Accept, unmasked frames, RSV bits clear,
 * shortest length encoding) and answers pings.
 */
final class TestWebSocket
{
    /** @var resource */
    private $socket;

    /** Every board still open, so a case's boards are closed even when the case fails. */
    public static array $open = [];

    /** @param resource $socket */
    private function __construct($socket, public readonly string $id)
    {
        $this->socket = $socket;
    }

    /** Opens `/websocket?id=<id>` (with exp and token when RAWRELAY_SECRET is set) and checks the 101. */
    public static function connect(string $id, string $path = '/websocket'): self
    {
        $host = env('RAWRELAY_HOST', '127.0.0.1');
        $port = (int) env('RAWRELAY_PORT');
        $socket = @stream_socket_client("tcp://$host:$port", $errno, $errstr, READ_TIMEOUT_SECONDS);
        if ($socket === false) {
            throw new TestFailure("cannot connect to relay at $host:$port: $errstr");
        }
        stream_set_timeout($socket, READ_TIMEOUT_SECONDS);
        $ws = new self($socket, $id);
        self::$open[] = $ws;

        $query = 'id=' . rawurlencode($id);
        $secret = getenv('RAWRELAY_SECRET');
        if (is_string($secret) && $secret !== '') {
            $t = RawRelay::token($id, 300, $secret);
            $query .= '&exp=' . $t['exp'] . '&token=' . $t['token'];
        }
        $key = base64_encode(random_bytes(16));
        $hostHeader = str_contains($host, ':') ? "[$host]:$port" : "$host:$port";
        $ws->writeAll("GET $path?$query HTTP/1.1\r\n"
            . "Host: $hostHeader\r\n"
            . "Upgrade: websocket\r\n"
            . "Connection: Upgrade\r\n"
            . "Sec-WebSocket-Key: $key\r\n"
            . "Sec-WebSocket-Version: 13\r\n"
            . "\r\n");

        $status = $ws->readHeadLine();
        if (preg_match('#^HTTP/1\.1 101\b#', $status) !== 1) {
            throw new TestFailure("handshake for id '$id' answered '$status', expected 101");
        }
        $headers = [];
        while (($line = $ws->readHeadLine()) !== '') {
            [$name, $value] = array_pad(explode(':', $line, 2), 2, '');
            $headers[strtolower(trim($name))] = trim($value);
        }
        $expected = base64_encode(sha1($key . WS_GUID, true));
        check(($headers['sec-websocket-accept'] ?? null) === $expected,
            "Sec-WebSocket-Accept is '" . ($headers['sec-websocket-accept'] ?? '(missing)') . "', expected '$expected'");
        check(strcasecmp($headers['upgrade'] ?? '', 'websocket') === 0, 'Upgrade header is not websocket');
        check(preg_match('/(^|,)\s*upgrade\s*(,|$)/i', $headers['connection'] ?? '') === 1,
            'Connection header does not hold Upgrade');
        return $ws;
    }

    /** The local address of this connection as the relay sees it, e.g. "127.0.0.1:53124". */
    public function localAddress(): string
    {
        return (string) stream_socket_get_name($this->socket, false);
    }

    /**
     * The next data message as [opcode, payload], answering pings on the way and skipping the
     * broadcasts of other cases. A close frame is returned as [OP_CLOSE, payload].
     *
     * @return array{0: int, 1: string}
     */
    public function receive(bool $skipForeignBroadcasts = true): array
    {
        while (true) {
            [$opcode, $payload] = $this->receiveMessage();
            if ($skipForeignBroadcasts && $opcode !== OP_CLOSE && str_starts_with($payload, BROADCAST_MARK)) {
                continue;
            }
            return [$opcode, $payload];
        }
    }

    /** The next message, which must be text. */
    public function receiveText(): string
    {
        [$opcode, $payload] = $this->receive();
        check($opcode === OP_TEXT, "board '{$this->id}' expected a text frame, got " . describe($opcode, $payload));
        return $payload;
    }

    /** The next message, which must be binary. */
    public function receiveBinary(): string
    {
        [$opcode, $payload] = $this->receive();
        check($opcode === OP_BINARY, "board '{$this->id}' expected a binary frame, got " . describe($opcode, $payload));
        return $payload;
    }

    /** Sends a masked close frame and waits briefly for the relay's answer; never throws. */
    public function close(int $code = 1000): void
    {
        self::$open = array_values(array_filter(self::$open, fn ($ws) => $ws !== $this));
        if (!is_resource($this->socket)) {
            return;
        }
        try {
            $this->writeFrame(OP_CLOSE, pack('n', $code));
            stream_set_timeout($this->socket, 2);
            for ($i = 0; $i < 100; $i++) {
                [$opcode] = $this->receiveMessage();
                if ($opcode === OP_CLOSE) {
                    break;
                }
            }
        } catch (Throwable) {
            // Teardown: the relay may already have closed the connection; the socket is closed below.
        }
        fclose($this->socket);
    }

    /** @return array{0: int, 1: string} */
    private function receiveMessage(): array
    {
        $message = null;
        $messageOpcode = 0;
        while (true) {
            [$fin, $opcode, $payload] = $this->readFrame();
            if ($opcode === OP_PING) {
                $this->writeFrame(OP_PONG, $payload);
                continue;
            }
            if ($opcode === OP_PONG) {
                continue;
            }
            if ($opcode === OP_CLOSE) {
                return [OP_CLOSE, $payload];
            }
            if ($opcode === OP_CONTINUATION) {
                check($message !== null, 'continuation frame with no message open');
                $message .= $payload;
            } else {
                check($message === null, 'new data frame inside a fragmented message');
                check($opcode === OP_TEXT || $opcode === OP_BINARY, "unknown opcode $opcode");
                $message = $payload;
                $messageOpcode = $opcode;
            }
            if ($fin) {
                return [$messageOpcode, $message];
            }
        }
    }

    /** @return array{0: bool, 1: int, 2: string} */
    private function readFrame(): array
    {
        [$b0, $b1] = array_values(unpack('C2', $this->readExact(2)));
        check(($b0 & 0x70) === 0, sprintf('server frame has RSV bits set (0x%02x)', $b0));
        check(($b1 & 0x80) === 0, 'server frame is masked');
        $length = $b1 & 0x7F;
        if ($length === 126) {
            $length = unpack('n', $this->readExact(2))[1];
            check($length >= 126, "16-bit length $length is not the shortest encoding");
        } elseif ($length === 127) {
            $length = unpack('J', $this->readExact(8))[1];
            check($length >= 65536, "64-bit length $length is not the shortest encoding");
            check($length <= 64 * 1024 * 1024, "frame length $length is beyond what these tests send");
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
            check($n !== false && $n > 0, "writing to board '{$this->id}' failed");
            $bytes = substr($bytes, $n);
        }
    }

    private function readHeadLine(): string
    {
        $line = fgets($this->socket, 8192);
        if ($line === false || !str_ends_with($line, "\n")) {
            throw new TestFailure($this->readProblem('the handshake response'));
        }
        return rtrim($line, "\r\n");
    }

    private function readExact(int $n): string
    {
        $buffer = '';
        while (strlen($buffer) < $n) {
            $chunk = fread($this->socket, $n - strlen($buffer));
            if ($chunk === false || $chunk === '') {
                throw new TestFailure($this->readProblem('a frame') . ' (' . strlen($buffer) . " of $n bytes read)");
            }
            $buffer .= $chunk;
        }
        return $buffer;
    }

    private function readProblem(string $what): string
    {
        $meta = stream_get_meta_data($this->socket);
        return $meta['timed_out']
            ? "board '{$this->id}' timed out after " . READ_TIMEOUT_SECONDS . " s waiting for $what"
            : "board '{$this->id}': connection closed while waiting for $what";
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function env(string $name, ?string $default = null): string
{
    $value = getenv($name);
    if (is_string($value) && $value !== '') {
        return $value;
    }
    if ($default === null) {
        throw new TestFailure("environment variable $name is not set");
    }
    return $default;
}

/** @throws TestFailure when $condition is false */
function check(bool $condition, string $detail): void
{
    if (!$condition) {
        throw new TestFailure($detail);
    }
}

function checkSame(mixed $expected, mixed $actual, string $what): void
{
    if ($expected !== $actual) {
        throw new TestFailure("$what: expected " . show($expected) . ', got ' . show($actual));
    }
}

/**
 * Runs $action, which must throw $class; returns the exception.
 *
 * @template T of Throwable
 * @param class-string<T> $class
 * @return T
 */
function expectThrows(string $class, callable $action, string $what): Throwable
{
    try {
        $action();
    } catch (Throwable $e) {
        if ($e instanceof $class) {
            return $e;
        }
        throw new TestFailure("$what: expected $class, got " . get_class($e) . ': ' . $e->getMessage());
    }
    throw new TestFailure("$what: expected $class, nothing was thrown");
}

function show(mixed $value): string
{
    if (is_string($value)) {
        $shown = strlen($value) > 60 ? substr($value, 0, 60) . '...(' . strlen($value) . ' bytes)' : $value;
        return json_encode($shown, JSON_INVALID_UTF8_SUBSTITUTE | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    }
    return var_export($value, true);
}

function describe(int $opcode, string $payload): string
{
    $names = [OP_TEXT => 'text', OP_BINARY => 'binary', OP_CLOSE => 'close'];
    return ($names[$opcode] ?? "opcode $opcode") . ' frame ' . show($payload);
}

/** A fresh id that no other case or run uses. */
function newId(string $label): string
{
    return "php-$label-" . bin2hex(random_bytes(6));
}

function relay(): RawRelay
{
    return new RawRelay(env('RAWRELAY_CONTROL'), READ_TIMEOUT_SECONDS);
}

/** Ids of the stream resources (sockets) this process has open. */
function openStreams(): array
{
    return array_keys(get_resources('stream'));
}

// ---------------------------------------------------------------------------------------------
// Cases, in the order --list prints them

/** @return array<string, callable(): void> */
function cases(): array
{
    return [
        'send_plain' => function (): void {
            $id = newId('plain');
            $board = TestWebSocket::connect($id);
            $relay = relay();
            $text = 'hello  wörld ✓ <b>&amp; "x" ';
            checkSame(1, $relay->send($id, $text), 'send() result');
            checkSame($text, $board->receiveText(), 'text received');
            $relay->close();
        },

        'send_json' => function (): void {
            $id = newId('json');
            $board = TestWebSocket::connect($id);
            $relay = relay();
            checkSame(1, $relay->sendJson($id, ['message' => 'Grüße / "quoted"', 'n' => 3]), 'sendJson() result');
            $received = $board->receiveText();
            checkSame('{"message":"Grüße / \"quoted\"","n":3}', $received, 'JSON received');
            checkSame(['message' => 'Grüße / "quoted"', 'n' => 3], json_decode($received, true), 'decoded JSON');
            $relay->close();
        },

        'send_with_newline_uses_length_prefix' => function (): void {
            $id = newId('newline');
            $board = TestWebSocket::connect($id);
            $relay = relay();
            foreach (["a\nb", "line1\r\nline2\n", "ends with CR\r", "\n"] as $text) {
                checkSame(1, $relay->send($id, $text), 'send() result for ' . show($text));
                checkSame($text, $board->receiveText(), 'text received');
            }
            // The control connection is still in step: had "a\nb" gone as one SEND MESSAGE line,
            // "b" would have been a command of its own and its ERR would be read here.
            checkSame(1, $relay->send($id, 'after'), 'send() after the multi-line messages');
            checkSame('after', $board->receiveText(), 'text received');
            $relay->close();
        },

        'send_binary_bytes' => function (): void {
            $id = newId('binary');
            $board = TestWebSocket::connect($id);
            $relay = relay();
            $bytes = implode('', array_map('chr', range(0, 255)));
            checkSame(1, $relay->sendBinary($id, $bytes), 'sendBinary() result');
            checkSame(bin2hex($bytes), bin2hex($board->receiveBinary()), 'bytes received (hex)');
            $relay->close();
        },

        'send_large_binary' => function (): void {
            // 100 000 bytes: the relay must use the 64-bit length form, and the client must write it all.
            $id = newId('large');
            $board = TestWebSocket::connect($id);
            $relay = relay();
            $bytes = random_bytes(100_000);
            checkSame(1, $relay->sendBinary($id, $bytes), 'sendBinary() result');
            $received = $board->receiveBinary();
            checkSame(strlen($bytes), strlen($received), 'length received');
            check($received === $bytes, 'the bytes received differ from the bytes sent');
            $text = str_repeat("0123456789abcdef\n", 4000); // 68 000 bytes of text with LFs
            checkSame(1, $relay->send($id, $text), 'send() result for large text');
            check($board->receiveText() === $text, 'the large text received differs from the text sent');
            $relay->close();
        },

        'send_empty_message' => function (): void {
            $id = newId('empty');
            $board = TestWebSocket::connect($id);
            $relay = relay();
            checkSame(1, $relay->send($id, ''), 'send() result for an empty message');
            checkSame('', $board->receiveText(), 'text received');
            checkSame(1, $relay->sendBinary($id, ''), 'sendBinary() result for no bytes');
            checkSame('', $board->receiveBinary(), 'bytes received');
            $relay->close();
        },

        'send_reaches_every_tab' => function (): void {
            $id = newId('tabs');
            $tab1 = TestWebSocket::connect($id);
            $tab2 = TestWebSocket::connect($id);
            $relay = relay();
            checkSame(2, $relay->send($id, 'to both'), 'send() result for two tabs');
            checkSame('to both', $tab1->receiveText(), 'text received by tab 1');
            checkSame('to both', $tab2->receiveText(), 'text received by tab 2');
            $relay->close();
        },

        'broadcast_reaches_all' => function (): void {
            $board1 = TestWebSocket::connect(newId('bc1'));
            $board2 = TestWebSocket::connect(newId('bc2'));
            $relay = relay();
            $text = BROADCAST_MARK . bin2hex(random_bytes(6));
            $n = $relay->broadcast($text);
            check($n >= 2, "broadcast() returned $n, expected at least 2");
            $multiLine = $text . "\nsecond line";
            $n = $relay->broadcast($multiLine);
            check($n >= 2, "broadcast() of a multi-line text returned $n, expected at least 2");
            $bytes = BROADCAST_MARK . "\x00\xff\x80";
            $n = $relay->broadcastBinary($bytes);
            check($n >= 2, "broadcastBinary() returned $n, expected at least 2");
            foreach ([$board1, $board2] as $i => $board) {
                // Other cases' broadcasts may come first; look for ours in what arrives.
                $want = [[OP_TEXT, $text], [OP_TEXT, $multiLine], [OP_BINARY, $bytes]];
                for ($seen = 0; $want !== [] && $seen < 1000; $seen++) {
                    $got = $board->receive(false);
                    check($got[0] !== OP_CLOSE, 'board ' . ($i + 1) . ' was closed: ' . show($got[1]));
                    if ($got === $want[0]) {
                        array_shift($want);
                    }
                }
                check($want === [], 'board ' . ($i + 1) . ' did not receive ' . show($want[0][1] ?? ''));
            }
            $relay->close();
        },

        'list_shows_board' => function (): void {
            $id = newId('list');
            $board = TestWebSocket::connect($id);
            $tab2 = TestWebSocket::connect($id);
            $relay = relay();
            $list = $relay->list();
            foreach ($list as $entry) {
                check(is_array($entry) && array_keys($entry) === ['id', 'address'], 'entry is not [id, address]: ' . show(json_encode($entry)));
                check(preg_match('/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):\d{1,5}$/', $entry['address']) === 1,
                    'address is not host:port: ' . show($entry['address']));
            }
            $mine = array_values(array_filter($list, fn (array $e) => $e['id'] === $id));
            checkSame(2, count($mine), "entries for id $id");
            if (env('RAWRELAY_HOST', '127.0.0.1') === '127.0.0.1') {
                check(preg_match('/^127\.0\.0\.1:\d+$/', $mine[0]['address']) === 1,
                    'address is not 127.0.0.1:<port>: ' . show($mine[0]['address']));
            }
            // Oldest first, and the address is the board's own end of the TCP connection.
            checkSame($board->localAddress(), $mine[0]['address'], 'address of the first tab');
            checkSame($tab2->localAddress(), $mine[1]['address'], 'address of the second tab');
            $relay->close();
        },

        'stats_has_counters' => function (): void {
            $relay = relay();
            $before = $relay->stats();
            $names = ['connections', 'connections_total', 'messages_out', 'messages_in', 'bytes_out',
                'bytes_in', 'slow_clients_dropped', 'uptime_seconds'];
            foreach ($names as $name) {
                check(array_key_exists($name, $before), "stats() has no '$name': " . show(json_encode($before)));
                check(is_int($before[$name]) && $before[$name] >= 0, "stats()['$name'] is not a count: " . show($before[$name]));
            }
            $id = newId('stats');
            $board = TestWebSocket::connect($id);
            checkSame(1, $relay->send($id, 'counted'), 'send() result');
            checkSame('counted', $board->receiveText(), 'text received');
            $after = $relay->stats();
            check($after['connections'] >= 1, 'connections is ' . $after['connections'] . ' with a board open');
            check($after['connections_total'] > $before['connections_total'], 'connections_total did not grow');
            check($after['messages_out'] > $before['messages_out'], 'messages_out did not grow');
            check($after['bytes_out'] >= $before['bytes_out'] + strlen('counted'), 'bytes_out did not grow by the message');
            $relay->close();
        },

        'err_becomes_exception' => function (): void {
            $id = newId('err');
            $board = TestWebSocket::connect($id);
            $relay = relay();
            $e = expectThrows(RawRelayException::class, fn () => $relay->closeClients($id, 999), 'closeClients() with code 999');
            check(str_contains($e->getMessage(), 'invalid close code'), 'exception message is ' . show($e->getMessage()));
            check(!str_starts_with($e->getMessage(), 'ERR'), 'exception message keeps the ERR prefix: ' . show($e->getMessage()));
            // An ERR keeps the connection usable.
            checkSame(1, $relay->send($id, 'still here'), 'send() after the error');
            checkSame('still here', $board->receiveText(), 'text received');
            $relay->close();
        },

        'close_clients_sends_close_frame' => function (): void {
            $id = newId('close');
            $board = TestWebSocket::connect($id);
            $relay = relay();
            checkSame(1, $relay->closeClients($id, 4000, 'bye now'), 'closeClients() result');
            [$opcode, $payload] = $board->receive();
            checkSame(OP_CLOSE, $opcode, 'frame received (' . describe($opcode, $payload) . ') opcode');
            checkSame(pack('n', 4000) . 'bye now', $payload, 'close payload');
            checkSame(0, $relay->closeClients(newId('nobody')), 'closeClients() for an unknown id');
            expectThrows(InvalidArgumentException::class, fn () => $relay->closeClients($id, 1000, "two\nlines"), 'reason with LF');
            expectThrows(InvalidArgumentException::class, fn () => $relay->closeClients($id, 1000, str_repeat('r', 124)), 'reason of 124 bytes');
            $relay->close();
        },

        'send_to_unknown_id_returns_zero' => function (): void {
            $relay = relay();
            $id = newId('nobody');
            checkSame(0, $relay->send($id, 'anyone?'), 'send() result');
            checkSame(0, $relay->send($id, "any\none?"), 'send() result for a multi-line text');
            checkSame(0, $relay->sendJson($id, ['message' => 'anyone?']), 'sendJson() result');
            checkSame(0, $relay->sendBinary($id, "\x01\x02"), 'sendBinary() result');
            $relay->close();
        },

        'invalid_id_rejected_client_side' => function (): void {
            // A socket path that does not exist: an id check that came after connecting would show
            // up as a RawRelayException about the connection instead of InvalidArgumentException.
            $relay = new RawRelay('/nonexistent-' . bin2hex(random_bytes(4)) . '/rawrelay.sock', 1.0);
            $bad = ['', 'has space', str_repeat('a', 129), "tab\there", "nl\n", "cr\r", 'é', "del\x7f", "nul\x00"];
            foreach ($bad as $id) {
                $what = 'id ' . show($id);
                expectThrows(InvalidArgumentException::class, fn () => $relay->send($id, 'x'), "send() with $what");
                expectThrows(InvalidArgumentException::class, fn () => $relay->sendJson($id, ['message' => 'x']), "sendJson() with $what");
                expectThrows(InvalidArgumentException::class, fn () => $relay->sendBinary($id, 'x'), "sendBinary() with $what");
                expectThrows(InvalidArgumentException::class, fn () => $relay->closeClients($id), "closeClients() with $what");
                expectThrows(InvalidArgumentException::class, fn () => RawRelay::token($id, 60, 's'), "token() with $what");
            }
            // The longest and the oddest valid ids are accepted and reach the relay.
            $real = relay();
            $longest = substr(newId('max') . str_repeat('x', 128), 0, 128);
            checkSame(0, $real->send($longest, 'x'), 'send() to a 128-character id');
            $odd = '!~%20&?=#' . bin2hex(random_bytes(4));
            $board = TestWebSocket::connect($odd);
            checkSame(1, $real->send($odd, 'odd'), 'send() to id ' . show($odd));
            checkSame('odd', $board->receiveText(), 'text received');
            $real->close();
        },

        'invalid_utf8_rejected_client_side' => function (): void {
            $relay = new RawRelay('/nonexistent-' . bin2hex(random_bytes(4)) . '/rawrelay.sock', 1.0);
            $id = newId('utf8');
            foreach (["\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "multi\nline\xfe"] as $text) {
                expectThrows(InvalidArgumentException::class, fn () => $relay->send($id, $text), 'send() with ' . bin2hex($text));
                expectThrows(InvalidArgumentException::class, fn () => $relay->broadcast($text), 'broadcast() with ' . bin2hex($text));
            }
            expectThrows(JsonException::class, fn () => $relay->sendJson($id, ['message' => "\xff"]), 'sendJson() with bytes that are not UTF-8');
        },

        'unreachable_socket_throws' => function (): void {
            $relay = new RawRelay('/tmp/rawrelay-missing-' . bin2hex(random_bytes(6)) . '.sock', 1.0);
            $e = expectThrows(RawRelayException::class, fn () => $relay->send(newId('x'), 'x'), 'send() without a relay');
            check(str_contains($e->getMessage(), 'rawrelay-missing-'), 'message does not name the socket: ' . show($e->getMessage()));
            $relay->close(); // nothing to close: no exception, no warning
        },

        'token_matches_hmac' => function (): void {
            $id = newId('token');
            $before = time();
            $t = RawRelay::token($id, 300, 'test-secret');
            checkSame(['exp', 'token'], array_keys($t), 'keys of token()');
            check(is_int($t['exp']), 'exp is not an int: ' . show($t['exp']));
            check($t['exp'] > time(), 'exp is not in the future');
            check($t['exp'] >= $before + 300 && $t['exp'] <= time() + 300, "exp {$t['exp']} is not now + 300");
            checkSame(hash_hmac('sha256', $id . ':' . $t['exp'], 'test-secret'), $t['token'], 'token');
            check(preg_match('/^[0-9a-f]{64}$/', $t['token']) === 1, 'token is not 64 lowercase hex digits');

            $saved = getenv('RAWRELAY_SECRET');
            try {
                putenv('RAWRELAY_SECRET=from-the-environment');
                $t = RawRelay::token($id);
                check($t['exp'] >= $before + 3600 && $t['exp'] <= time() + 3600, 'default lifetime is not 3600 s');
                checkSame(hash_hmac('sha256', "$id:{$t['exp']}", 'from-the-environment'), $t['token'], 'token keyed with RAWRELAY_SECRET');
                putenv('RAWRELAY_SECRET');
                expectThrows(RawRelayException::class, fn () => RawRelay::token($id), 'token() with no secret anywhere');
                putenv('RAWRELAY_SECRET=');
                expectThrows(RawRelayException::class, fn () => RawRelay::token($id), 'token() with an empty RAWRELAY_SECRET');
            } finally {
                putenv($saved === false ? 'RAWRELAY_SECRET' : "RAWRELAY_SECRET=$saved");
            }
            expectThrows(InvalidArgumentException::class, fn () => RawRelay::token($id, 0, 's'), 'token() with ttl 0');
        },

        'many_commands_one_connection' => function (): void {
            $id = newId('many');
            $board = TestWebSocket::connect($id);
            $relay = relay();
            $streamsBefore = openStreams();
            checkSame(1, $relay->send($id, 'm0'), 'send() result for message 0');
            $streamsAfterFirst = openStreams();
            checkSame(1, count(array_diff($streamsAfterFirst, $streamsBefore)), 'sockets opened by the first send()');
            for ($i = 1; $i < 500; $i++) {
                checkSame(1, $relay->send($id, "m$i"), "send() result for message $i");
            }
            checkSame($streamsAfterFirst, openStreams(), 'open sockets after 500 sends (a new one means a reconnect)');
            for ($i = 0; $i < 500; $i++) {
                checkSame("m$i", $board->receiveText(), "message $i");
            }
            $relay->close();
            $relay->close(); // a second close is harmless
            checkSame(0, count(array_diff(openStreams(), $streamsBefore)), 'sockets left open after close()');
            // After close() the next command opens a new connection.
            checkSame(1, $relay->send($id, 'again'), 'send() after close()');
            checkSame('again', $board->receiveText(), 'text received after close()');
            $relay->close();
        },
    ];
}

// ---------------------------------------------------------------------------------------------
// Runner

function runCase(string $name, callable $case): bool
{
    $GLOBALS['currentCase'] = $name;
    if (function_exists('pcntl_alarm')) {
        pcntl_alarm(RUN_TIMEOUT_SECONDS);
    }
    try {
        $case();
        $ok = true;
        echo "PASS $name\n";
    } catch (Throwable $e) {
        $ok = false;
        $detail = $e instanceof TestFailure
            ? $e->getMessage()
            : get_class($e) . ': ' . $e->getMessage() . ' at ' . basename($e->getFile()) . ':' . $e->getLine();
        echo "FAIL $name: " . str_replace(["\r", "\n"], ['\r', '\n'], $detail) . "\n";
    } finally {
        foreach (TestWebSocket::$open as $ws) {
            $ws->close();
        }
        if (function_exists('pcntl_alarm')) {
            pcntl_alarm(0);
        }
    }
    return $ok;
}

function main(array $argv): int
{
    // Any warning or notice the client lets through is a failure (the @-silenced ones are not).
    set_error_handler(function (int $severity, string $message, string $file, int $line): bool {
        if ((error_reporting() & $severity) === 0) {
            return false;
        }
        throw new ErrorException($message, 0, $severity, $file, $line);
    });

    $cases = cases();
    $arg = $argv[1] ?? '';
    if ($arg === '--list') {
        echo implode("\n", array_keys($cases)), "\n";
        return 0;
    }
    if ($arg !== 'all' && !isset($cases[$arg])) {
        fwrite(STDERR, "usage: php client_test.php --list | all | <case>\n");
        echo 'FAIL ' . ($arg === '' ? '(none)' : $arg) . ": unknown case\n";
        return 1;
    }
    if (function_exists('pcntl_alarm')) {
        // The last line of defence: a case that has not finished in time fails instead of hanging.
        pcntl_async_signals(true);
        pcntl_signal(SIGALRM, function (): void {
            echo 'FAIL ' . ($GLOBALS['currentCase'] ?? '?') . ': no result after ' . RUN_TIMEOUT_SECONDS . " s\n";
            exit(1);
        });
    }
    if ($arg === 'all') {
        $failed = 0;
        foreach ($cases as $name => $case) {
            $failed += runCase($name, $case) ? 0 : 1;
        }
        return $failed === 0 ? 0 : 1;
    }
    return runCase($arg, $cases[$arg]) ? 0 : 1;
}

exit(main($argv));
