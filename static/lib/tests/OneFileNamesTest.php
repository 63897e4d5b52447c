<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Client;
use RawRelay\Exception\RawRelayException;
use RawRelay\Tests\Support\RelayTestCase;

/** The one-file client's global names, RawRelay and RawRelayException, as older pages use them. */
final class OneFileNamesTest extends RelayTestCase
{
    public function testRawRelayIsTheClient(): void
    {
        $id = self::newId('legacy');
        $browser = $this->browser($id);
        $relay = new \RawRelay(self::openRelay()->controlPath, 2.0);

        self::assertInstanceOf(Client::class, $relay);
        self::assertSame(1, $relay->sendJson($id, ['message' => 'as before']));
        self::assertSame('{"message":"as before"}', $browser->receiveText());
        $relay->close();
    }

    public function testRawRelayExceptionCatchesWhatTheClientThrows(): void
    {
        self::assertSame(RawRelayException::class, (new \ReflectionClass('RawRelayException'))->getName());
        $relay = new \RawRelay(self::openRelay()->controlPath, 2.0);
        try {
            $relay->closeClients('u1', 999);
            self::fail('closeClients() with code 999 did not throw');
        } catch (\RawRelayException $e) {
            self::assertSame('invalid close code', $e->getMessage());
        } finally {
            $relay->close();
        }
    }

    public function testRequiringTheFileAgainChangesNothing(): void
    {
        require __DIR__ . '/../RawRelay.php';

        self::assertTrue(class_exists('RawRelay', false));
    }
}
