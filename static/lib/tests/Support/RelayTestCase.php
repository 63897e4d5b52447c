<?php

declare(strict_types=1);

namespace RawRelay\Tests\Support;

use PHPUnit\Framework\TestCase;
use RawRelay\Client;

/**
 * A test against the running relay (RelayEndpoint::open()): clients and browsers it opens are closed
 * after each test, whatever the outcome. Ids and channels are random, so runs never see each other.
 */
abstract class RelayTestCase extends TestCase
{
    protected const TIMEOUT_SECONDS = 5.0;

    /** @var list<Client> */
    private array $clients = [];

    /** @var list<WebSocketClient> */
    private array $browsers = [];

    protected function tearDown(): void
    {
        foreach ($this->browsers as $browser) {
            $browser->close();
        }
        foreach ($this->clients as $client) {
            $client->close();
        }
        $this->browsers = [];
        $this->clients = [];
    }

    /** The relay without --secret; the test is skipped when the environment names none. */
    protected static function openRelay(): RelayEndpoint
    {
        return RelayEndpoint::open() ?? self::markTestSkipped(
            'no relay: set RAWRELAY_CONTROL and RAWRELAY_PORT (the C# test PhpUnitTests does)');
    }

    /** The relay with --secret; the test is skipped when the environment names none. */
    protected static function securedRelay(): RelayEndpoint
    {
        return RelayEndpoint::secured() ?? self::markTestSkipped(
            'no relay with --secret: set RAWRELAY_SECRET_CONTROL, RAWRELAY_SECRET_PORT and RAWRELAY_SECRET');
    }

    /** A client of the relay's control socket. */
    protected function client(?RelayEndpoint $relay = null): Client
    {
        $client = new Client(($relay ?? self::openRelay())->controlPath, self::TIMEOUT_SECONDS);
        $this->clients[] = $client;
        return $client;
    }

    /**
     * A browser connected as `?id=<id>&channel=...` (with a token when the relay has a secret).
     *
     * @param list<string> $channels
     */
    protected function browser(string $id, array $channels = [], ?RelayEndpoint $relay = null): WebSocketClient
    {
        $relay ??= self::openRelay();
        return $this->browserWithQuery(WebSocketClient::query($relay, $id, $channels), $relay);
    }

    /** A browser connected with exactly this query (offering the subprotocol $protocol, if any). */
    protected function browserWithQuery(string $query, ?RelayEndpoint $relay = null, ?string $protocol = null): WebSocketClient
    {
        $browser = WebSocketClient::connect($relay ?? self::openRelay(), $query, $protocol);
        $this->browsers[] = $browser;
        return $browser;
    }

    /** A fresh id no other test or run uses. */
    protected static function newId(string $label): string
    {
        return "php-$label-" . bin2hex(random_bytes(6));
    }

    /** A fresh channel name no other test or run uses. */
    protected static function newChannel(string $label): string
    {
        return "$label-" . bin2hex(random_bytes(6));
    }

    /** A client whose socket does not exist: any check done after connecting would show as a ConnectionException. */
    protected static function clientWithoutRelay(): Client
    {
        return new Client('/nonexistent-' . bin2hex(random_bytes(4)) . '/rawrelay.sock', 1.0);
    }
}
