<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Exception\InvalidArgumentException;
use RawRelay\Tests\Support\RelayEndpoint;
use RawRelay\Tests\Support\RelayTestCase;

/**
 * position(): `POSITION <stream>` for a channel, `#<id>` and `*`, and what a page does with it: the
 * position read before rendering lets a rawrelay.v1 browser get what was published meanwhile.
 */
final class PositionTest extends RelayTestCase
{
    private const POSITION = '/^([A-Za-z0-9]{1,32}):(\d+)$/D';

    public function testAStreamWithoutMessagesIsAtOffsetZero(): void
    {
        $relay = $this->client();

        foreach ([self::newChannel('quiet'), '#' . self::newId('quiet')] as $stream) {
            self::assertMatchesRegularExpression('/^[A-Za-z0-9]{1,32}:0$/D', $relay->position($stream), $stream);
        }
    }

    public function testEachMessageOnAStreamMovesItsOffsetByOneInTheSameEpoch(): void
    {
        $id = self::newId('positions');
        $channel = self::newChannel('orders');
        $browser = $this->browser($id, [$channel]);
        $relay = $this->client();

        foreach (["#$id" => fn () => $relay->send($id, 'to the id'), $channel => fn () => $relay->publish($channel, 'to the channel'),
                  '*' => fn () => $relay->broadcast('to everyone')] as $stream => $deliver) {
            [$epoch, $offset] = self::split($relay->position($stream));
            self::assertSame(1, $deliver());
            self::assertSame([$epoch, $offset + 1], self::split($relay->position($stream)), $stream);
            $browser->receiveText();
        }
    }

    public function testABrowserResumingFromThePositionPhpReadGetsExactlyWhatWasPublishedAfterIt(): void
    {
        if (RelayEndpoint::history() === 0) {
            self::markTestSkipped('the relay runs without --history (set RAWRELAY_HISTORY to its --history)');
        }
        $channel = self::newChannel('feed');
        $relay = $this->client();
        $position = $relay->position($channel);              // read first, then the "database"
        foreach (['one', 'two', 'three'] as $message) {
            $relay->publish($channel, $message);            // published while the page renders
        }
        [$epoch, $offset] = self::split($position);

        $query = 'id=' . rawurlencode(self::newId('page')) . '&channel=' . $channel . '&since=' . rawurlencode("$channel $position");
        $browser = $this->browserWithQuery($query, null, 'rawrelay.v1');
        self::assertSame(1, $relay->publish($channel, 'live'));

        foreach (['one', 'two', 'three', 'live'] as $i => $message) {
            self::assertSame("$channel $epoch:" . ($offset + $i + 1) . "\n$message", $browser->receiveText());
        }
    }

    public function testAStreamThatCannotBeIsRefusedBeforeAnythingIsSent(): void
    {
        $relay = self::clientWithoutRelay(); // a check after connecting would be a ConnectionException
        foreach (['', '#', '# x', '#' . str_repeat('a', 129), 'no/slashes', '**', "orders\n", 'two words'] as $stream) {
            try {
                $relay->position($stream);
                self::fail('position(' . json_encode($stream) . ') was sent');
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString('stream must be', $e->getMessage());
            }
        }
        self::assertTrue(true);
    }

    /** @return array{0: string, 1: int} */
    private static function split(string $position): array
    {
        self::assertMatchesRegularExpression(self::POSITION, $position);
        [$epoch, $offset] = explode(':', $position);
        return [$epoch, (int) $offset];
    }
}
