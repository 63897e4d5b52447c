<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Tests\Support\RelayTestCase;

/** One Client keeps one control connection for all its commands; close() ends it. */
final class ConnectionReuseTest extends RelayTestCase
{
    public function testManyCommandsShareOneConnection(): void
    {
        $id = self::newId('many');
        $channel = self::newChannel('many');
        $browser = $this->browser($id);
        $relay = $this->client();
        $before = self::openStreams();

        self::assertSame(1, $relay->send($id, 'm0'));
        $afterFirst = self::openStreams();
        self::assertCount(1, array_diff($afterFirst, $before), 'the first command opens one socket');
        self::assertSame(1, $relay->subscribe($id, $channel));
        for ($i = 1; $i < 500; $i++) {
            self::assertSame(1, $i % 2 === 0 ? $relay->send($id, "m$i") : $relay->publish($channel, "m$i"));
        }
        self::assertSame($afterFirst, self::openStreams(), 'a new socket would mean a reconnect');
        for ($i = 0; $i < 500; $i++) {
            self::assertSame("m$i", $browser->receiveText());
        }

        $relay->close();
        $relay->close(); // a second close is harmless
        self::assertSame([], array_diff(self::openStreams(), $before), 'sockets left open after close()');
        self::assertSame(1, $relay->send($id, 'again'), 'the next command opens a new connection');
        self::assertSame('again', $browser->receiveText());
    }

    /** @return list<int> Ids of the stream resources (sockets) this process has open. */
    private static function openStreams(): array
    {
        return array_keys(get_resources('stream'));
    }
}
