<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Tests\Support\RelayTestCase;

/** list() and stats(). */
final class ListAndStatsTest extends RelayTestCase
{
    public function testListShowsEachConnectionOldestFirstWithItsAddress(): void
    {
        $id = self::newId('list');
        $tab1 = $this->browser($id);
        $tab2 = $this->browser($id);

        $list = $this->client()->list();

        foreach ($list as $entry) {
            self::assertSame(['id', 'address'], array_keys($entry));
            self::assertMatchesRegularExpression('/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):\d{1,5}$/', $entry['address']);
        }
        $mine = array_values(array_filter($list, static fn (array $entry): bool => $entry['id'] === $id));
        self::assertSame([
            ['id' => $id, 'address' => $tab1->localAddress()],
            ['id' => $id, 'address' => $tab2->localAddress()],
        ], $mine);
    }

    public function testStatsHasEveryCounter(): void
    {
        $relay = $this->client();
        $before = $relay->stats();
        foreach (['connections', 'connections_total', 'messages_out', 'messages_in', 'bytes_out', 'bytes_in',
            'slow_clients_dropped', 'uptime_seconds', 'channels', 'subscriptions'] as $name) {
            self::assertArrayHasKey($name, $before);
            self::assertIsInt($before[$name]);
            self::assertGreaterThanOrEqual(0, $before[$name]);
        }

        $id = self::newId('stats');
        $browser = $this->browser($id);
        self::assertSame(1, $relay->send($id, 'counted'));
        self::assertSame('counted', $browser->receiveText());
        $relay->subscribe($id, self::newChannel('counted'));
        $after = $relay->stats();

        self::assertGreaterThanOrEqual(1, $after['connections']);
        self::assertGreaterThan($before['connections_total'], $after['connections_total']);
        self::assertGreaterThan($before['messages_out'], $after['messages_out']);
        self::assertGreaterThanOrEqual($before['bytes_out'] + strlen('counted'), $after['bytes_out']);
        // Other channels may come and go meanwhile; ours is one of them now.
        self::assertGreaterThanOrEqual(1, $after['channels']);
        self::assertGreaterThanOrEqual(1, $after['subscriptions']);
    }
}
