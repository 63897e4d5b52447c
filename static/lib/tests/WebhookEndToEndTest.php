<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Tests\Support\BuiltInServer;
use RawRelay\Tests\Support\RelayEndpoint;
use RawRelay\Tests\Support\RelayTestCase;

/**
 * RawRelay\Webhook with a real relay and a real PHP endpoint: the relay's --webhook POSTs to `php -S`
 * running tests/Support/webhook-endpoint.php, which verifies each signature with the class and
 * answers with handle(). What the endpoint's handler was given is read back from its log. Needs the
 * hooked relays of RelayEndpoint (the C# test PhpUnitTests starts them).
 */
final class WebhookEndToEndTest extends RelayTestCase
{
    private const WAIT_SECONDS = 15.0;

    private static ?BuiltInServer $endpoint = null;

    private static string $log = '';

    public static function setUpBeforeClass(): void
    {
        $hook = RelayEndpoint::webhook();
        if ($hook === null || RelayEndpoint::hooked() === null) {
            return; // each test skips itself
        }
        self::$log = tempnam(sys_get_temp_dir(), 'rr-hook-log-');
        self::$endpoint = BuiltInServer::start($hook['port'], __DIR__ . '/Support/webhook-endpoint.php', [
            'RAWRELAY_WEBHOOK_SECRET' => $hook['secret'],
            'RAWRELAY_TEST_HOOK_LOG' => self::$log,
        ]);
    }

    public static function tearDownAfterClass(): void
    {
        self::$endpoint?->stop();
        self::$endpoint = null;
        foreach (glob(self::$log . '*') ?: [] as $file) {
            unlink($file);
        }
    }

    public function testEveryEventOfABrowserReachesTheEndpointSignedAndDecoded(): void
    {
        $relay = self::hookedRelay();
        $id = self::newId('hook');
        $channel = self::newChannel('hooked');
        $browser = $this->browser($id, [$channel], $relay);
        $browser->sendText("héllo <b>\"x\"</b>\nline 2");
        $browser->sendBinary("\x00\x01\xff\n");
        $browser->close(4001);

        $requests = self::requestsUntil(fn (array $events) => self::eventsOfKind($events, 'offline', $id) === 1
            && self::eventsOfKind($events, 'vacated', $channel) === 1);

        foreach ($requests as $request) {
            self::assertSame(['POST', 200], [$request['method'], $request['status']], 'each POST verified and taken');
        }
        $events = self::events($requests);
        $ofConnection = array_values(array_filter($events, fn (array $e) => $e['id'] === $id && $e['handle'] !== null));
        self::assertSame(['open', 'message', 'message', 'close'], array_column($ofConnection, 'event'));
        [$open, $text, $binary, $close] = $ofConnection;
        self::assertMatchesRegularExpression('/^[A-Za-z0-9.\-]{1,64}$/D', $open['handle']);
        self::assertSame([$open['handle']], array_values(array_unique(array_column($ofConnection, 'handle'))));
        self::assertStringStartsWith('127.0.0.1:', $open['peer']);
        self::assertEqualsWithDelta(microtime(true), $open['time'], 60.0);
        self::assertSame(['text', bin2hex("héllo <b>\"x\"</b>\nline 2")], [$text['type'], $text['data_hex']]);
        self::assertSame(['binary', bin2hex("\x00\x01\xff\n")], [$binary['type'], $binary['data_hex']], 'decoded from base64');
        self::assertSame(4001, $close['code']);
        self::assertSame(1, self::eventsOfKind($events, 'occupied', $channel));
        $ids = array_column($events, 'event_id');
        self::assertSame($ids, array_values(array_unique($ids)), 'every event once, each with an id of its own');
    }

    public function testAHandlerThatFailsGetsTheWholeBatchAgainWithTheSameEventIds(): void
    {
        $relay = self::hookedRelay();
        $id = self::newId('retry');
        $browser = $this->browser($id, [], $relay);
        $browser->sendText('fail the first time');
        $browser->sendText('after');

        $requests = self::requestsUntil(fn (array $events) => self::texts($events, $id) === ['fail the first time', 'after']);

        $failed = array_values(array_filter($requests, fn (array $r) => $r['status'] === 500));
        self::assertCount(1, $failed, 'the handler threw once: the endpoint answered 500');
        $failing = array_values(array_filter($failed[0]['events'], fn (array $e) => $e['data_hex'] === bin2hex('fail the first time')));
        self::assertCount(1, $failing);
        $taken = array_merge(...array_map(fn (array $r) => $r['events'], array_filter($requests, fn (array $r) => $r['status'] === 200)));
        $again = array_values(array_filter($taken, fn (array $e) => $e['event_id'] === $failing[0]['event_id']));
        self::assertCount(1, $again, 'the event came again, with the same event_id, and was taken');
        self::assertGreaterThanOrEqual(1, $this->client($relay)->stats()['webhook_retries']);
    }

    public function testAPostSignedWithAnotherSecretIsAnswered401AndNotRetried(): void
    {
        self::hookedRelay();
        $relay = RelayEndpoint::badlyHooked() ?? self::markTestSkipped('no relay with a wrong webhook secret (RAWRELAY_BADHOOK_CONTROL, ...)');
        $before = count(self::requests());
        $stats = $this->client($relay);
        $this->browser(self::newId('forged'), [], $relay);

        $deadline = microtime(true) + self::WAIT_SECONDS;
        while ($stats->stats()['webhook_given_up'] < 1) {
            self::assertLessThan($deadline, microtime(true), 'the relay did not give the batch up');
            usleep(20_000);
        }

        $counters = $stats->stats();
        self::assertSame([0, 0], [$counters['webhook_retries'], $counters['webhook_delivered']], 'a 401 is not retried');
        $refused = array_values(array_filter(array_slice(self::requests(), $before), fn (array $r) => $r['status'] === 401));
        self::assertNotEmpty($refused);
        self::assertSame([], $refused[0]['events'], 'nothing of an unverified body reaches the handler');
    }

    public function testTheEndpointAnswersWhatIsNotAVerifiedPostItself(): void
    {
        $hook = RelayEndpoint::webhook();
        self::hookedRelay();
        $body = '{"events":[]}';
        $sign = fn (string $b, string $secret) => 'X-RawRelay-Signature: sha256=' . hash_hmac('sha256', $b, $secret);

        self::assertSame([405, 'Allow: POST'], self::http('GET', '', []));
        self::assertSame(401, self::http('POST', $body, [])[0]);
        self::assertSame(401, self::http('POST', $body, [$sign($body, 'not-the-secret')])[0]);
        self::assertSame(400, self::http('POST', '{"events":{}}', [$sign('{"events":{}}', $hook['secret'])])[0]);
        self::assertSame(200, self::http('POST', $body, [$sign($body, $hook['secret'])])[0]);
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static function hookedRelay(): RelayEndpoint
    {
        if (self::$endpoint === null) {
            self::markTestSkipped('no relay with --webhook: set RAWRELAY_HOOK_CONTROL, RAWRELAY_HOOK_PORT, RAWRELAY_HOOK_LISTEN '
                . 'and RAWRELAY_HOOK_SECRET (the C# test PhpUnitTests does)');
        }
        return RelayEndpoint::hooked();
    }

    /**
     * The requests the endpoint has logged, once $done holds for all the events they carried; fails
     * after WAIT_SECONDS.
     *
     * @param callable(list<array<string, mixed>>): bool $done
     * @return list<array{method: string, status: int, events: list<array<string, mixed>>}>
     */
    private static function requestsUntil(callable $done): array
    {
        $deadline = microtime(true) + self::WAIT_SECONDS;
        while (!$done(self::events($requests = self::requests()))) {
            if (microtime(true) > $deadline) {
                self::fail("the endpoint's log never showed what was expected; it has:\n" . file_get_contents(self::$log)
                    . "\nphp -S said:\n" . self::$endpoint->output());
            }
            usleep(20_000);
        }
        return $requests;
    }

    /** @return list<array{method: string, status: int, events: list<array<string, mixed>>}> */
    private static function requests(): array
    {
        $lines = array_filter(explode("\n", (string) file_get_contents(self::$log)));
        return array_map(fn (string $line) => json_decode($line, true, 16, JSON_THROW_ON_ERROR), array_values($lines));
    }

    /**
     * The events the handler was given in requests it answered 200, in order.
     *
     * @param list<array{status: int, events: list<array<string, mixed>>}> $requests
     * @return list<array<string, mixed>>
     */
    private static function events(array $requests): array
    {
        $taken = array_filter($requests, fn (array $r) => $r['status'] === 200);
        return array_merge([], ...array_map(fn (array $r) => $r['events'], array_values($taken)));
    }

    /** @param list<array<string, mixed>> $events */
    private static function eventsOfKind(array $events, string $kind, string $idOrChannel): int
    {
        return count(array_filter($events, fn (array $e) => $e['event'] === $kind && ($e['id'] ?? $e['channel']) === $idOrChannel));
    }

    /**
     * @param list<array<string, mixed>> $events
     * @return list<string>
     */
    private static function texts(array $events, string $id): array
    {
        $texts = array_filter($events, fn (array $e) => $e['id'] === $id && $e['type'] === 'text');
        return array_values(array_map(fn (array $e) => hex2bin($e['data_hex']), $texts));
    }

    /**
     * A request to the endpoint: its status, and its Allow header when it sent one.
     *
     * @param list<string> $headers
     * @return array{0: int, 1?: string}
     */
    private static function http(string $method, string $body, array $headers): array
    {
        $context = stream_context_create(['http' => [
            'method' => $method, 'content' => $body, 'ignore_errors' => true, 'timeout' => 5,
            'header' => array_merge(['Content-Type: application/json'], $headers),
        ]]);
        file_get_contents('http://127.0.0.1:' . self::$endpoint->port . '/hook', false, $context);
        preg_match('#^HTTP/\S+ (\d{3})#', $http_response_header[0], $m);
        $allow = array_values(array_filter($http_response_header, fn (string $h) => stripos($h, 'Allow:') === 0));
        return $allow === [] ? [(int) $m[1]] : [(int) $m[1], $allow[0]];
    }
}
