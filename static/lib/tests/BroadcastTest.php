<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Tests\Support\RelayTestCase;
use RawRelay\Tests\Support\WebSocketClient;

/** broadcast() and broadcastBinary(): every open connection receives them. */
final class BroadcastTest extends RelayTestCase
{
    public function testBroadcastReachesEveryConnectionWhateverItsId(): void
    {
        $browsers = [$this->browser(self::newId('bc1')), $this->browser(self::newId('bc2'))];
        $relay = $this->client();
        $text = 'to everyone ' . bin2hex(random_bytes(4));
        $bytes = "\x00\xff\x80";

        self::assertGreaterThanOrEqual(2, $relay->broadcast($text));
        self::assertGreaterThanOrEqual(2, $relay->broadcast("$text\nsecond line"));
        self::assertGreaterThanOrEqual(2, $relay->broadcastBinary($bytes));

        foreach ($browsers as $browser) {
            self::assertSame([WebSocketClient::TEXT, $text], $browser->receive());
            self::assertSame([WebSocketClient::TEXT, "$text\nsecond line"], $browser->receive());
            self::assertSame([WebSocketClient::BINARY, $bytes], $browser->receive());
        }
    }
}
