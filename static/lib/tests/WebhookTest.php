<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use PHPUnit\Framework\TestCase;
use RawRelay\Exception\InvalidArgumentException;
use RawRelay\Exception\PayloadException;
use RawRelay\Exception\RawRelayException;
use RawRelay\Exception\SignatureException;
use RawRelay\Exception\WebhookException;
use RawRelay\Webhook;
use RawRelay\WebhookEvent;

/**
 * RawRelay\Webhook without a relay: the signature (HMAC-SHA256 of the exact body, compared with
 * hash_equals), the decoding of every kind of event the relay sends, and what a malformed body gives.
 * The bodies are written as the relay writes them (RawRelay/Webhooks/WebhookBody.cs); the signatures
 * are computed here with hash_hmac, not with the class under test.
 */
final class WebhookTest extends TestCase
{
    private const SECRET = 'a-webhook-secret';

    private ?string $savedSecret = null;

    protected function setUp(): void
    {
        $saved = getenv(Webhook::SECRET_VARIABLE);
        $this->savedSecret = $saved === false ? null : $saved;
    }

    protected function tearDown(): void
    {
        putenv($this->savedSecret === null ? Webhook::SECRET_VARIABLE : Webhook::SECRET_VARIABLE . "={$this->savedSecret}");
    }

    // ---- the signature --------------------------------------------------------------------------

    public function testABodySignedWithTheSecretIsTakenAndItsEventsDecoded(): void
    {
        $body = self::body([self::open('e1')]);

        $events = (new Webhook(self::SECRET))->events($body, self::sign($body));

        self::assertCount(1, $events);
        self::assertSame('e1', $events[0]->eventId);
        self::assertSame('sha256=' . hash_hmac('sha256', $body, self::SECRET), (new Webhook(self::SECRET))->signature($body));
    }

    public function testTheReadmesExamplePostVerifiesWithItsSecret(): void
    {
        $body = '{"events":[{"event_id":"q8tmc2bd-1a","event":"message","time":1764584078.381,"handle":"k3v9x0qa.1",'
            . '"id":"QVZS7CQWAE","peer":"127.0.0.1:50424","type":"text","data":"hello there"}]}';

        [$event] = (new Webhook('demo-secret'))->events($body, 'sha256=ce6ec74dc693eb4590d80151554b2e43335e9f5cf4ec653f2f1e9859ace3199f');

        self::assertSame(['k3v9x0qa.1', 'QVZS7CQWAE', 'hello there', 1764584078.381], [$event->handle, $event->id, $event->data, $event->time]);
    }

    public function testTheSignatureMayComeInUpperCaseHexOrWithSpacesAroundIt(): void
    {
        $body = self::body([self::open('e1')]);
        $hook = new Webhook(self::SECRET);

        $hook->verify($body, 'sha256=' . strtoupper(hash_hmac('sha256', $body, self::SECRET)));
        $hook->verify($body, ' ' . self::sign($body) . ' ');
        self::assertTrue($hook->isSigned($body, self::sign($body)));
    }

    public function testAMissingSignatureIsRefusedWith401(): void
    {
        $body = self::body([self::open('e1')]);
        foreach ([null, '', '   '] as $missing) {
            $e = self::refused(fn () => (new Webhook(self::SECRET))->events($body, $missing), SignatureException::class);
            self::assertSame('no X-RawRelay-Signature header', $e->getMessage());
            self::assertSame(401, $e->httpStatus());
        }
    }

    public function testASignatureOfAnotherFormIsRefused(): void
    {
        $body = self::body([self::open('e1')]);
        $hex = hash_hmac('sha256', $body, self::SECRET);
        foreach ([$hex, "sha1=$hex", 'sha256=' . substr($hex, 1), "sha256=$hex" . '0', 'sha256=' . str_repeat('g', 64), "sha256=$hex,sha256=$hex"] as $bad) {
            $e = self::refused(fn () => (new Webhook(self::SECRET))->verify($body, $bad), SignatureException::class);
            self::assertStringContainsString('is not sha256=<64 hex digits>', $e->getMessage(), $bad);
        }
    }

    public function testASignatureMadeWithAnotherSecretIsRefused(): void
    {
        $body = self::body([self::open('e1')]);
        $other = 'sha256=' . hash_hmac('sha256', $body, 'another-secret');

        $e = self::refused(fn () => (new Webhook(self::SECRET))->events($body, $other), SignatureException::class);

        self::assertStringContainsString('does not match the body', $e->getMessage());
        self::assertFalse((new Webhook(self::SECRET))->isSigned($body, $other));
    }

    public function testAnAlteredBodyIsRefusedEvenWhenItMeansTheSame(): void
    {
        $body = self::body([self::message('e1', 'pay 10 €')]);
        $signature = self::sign($body);
        $altered = [
            str_replace('pay 10', 'pay 90', $body),                        // another amount
            $body . "\n",                                                  // a byte more
            str_replace('{"events":', '{ "events": ', $body),              // the same JSON, spaced
            json_encode(json_decode($body, true), JSON_THROW_ON_ERROR),    // the same JSON, re-encoded (\u20ac)
        ];
        foreach ($altered as $body2) {
            self::assertNotSame($body, $body2);
            self::refused(fn () => (new Webhook(self::SECRET))->events($body2, $signature), SignatureException::class);
        }
    }

    public function testTheSecretComesFromRawrelayWebhookSecretWhenNoneIsPassed(): void
    {
        putenv(Webhook::SECRET_VARIABLE . '=from-the-environment');
        $body = self::body([self::open('e1')]);

        (new Webhook())->verify($body, 'sha256=' . hash_hmac('sha256', $body, 'from-the-environment'));

        putenv(Webhook::SECRET_VARIABLE);
        self::refused(fn () => new Webhook(), InvalidArgumentException::class);
        self::refused(fn () => new Webhook(''), InvalidArgumentException::class);
    }

    // ---- the events -----------------------------------------------------------------------------

    public function testEveryKindOfEventIsDecodedWithItsFields(): void
    {
        $events = Webhook::decode(self::body([
            self::open('e1'),
            self::message('e2', "héllo <b>\"x\"</b>\nsecond line"),
            ['event_id' => 'e3', 'event' => 'message', 'time' => 1767225600.25, 'handle' => 'h1.7', 'id' => 'u42', 'peer' => '127.0.0.1:50424',
             'type' => 'binary', 'data_base64' => base64_encode("\x00\x01\xff\n")],
            ['event_id' => 'e4', 'event' => 'close', 'time' => 1767225601.5, 'handle' => 'h1.7', 'id' => 'u42', 'peer' => '127.0.0.1:50424', 'code' => 4005],
            ['event_id' => 'e5', 'event' => 'offline', 'time' => 1767225604, 'id' => 'u42'],
            ['event_id' => 'e6', 'event' => 'occupied', 'time' => 1767225600.125, 'channel' => 'room-7'],
            ['event_id' => 'e7', 'event' => 'vacated', 'time' => 1767225605.125, 'channel' => 'room-7'],
        ]));

        self::assertSame(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7'], array_map(fn (WebhookEvent $e) => $e->eventId, $events));
        [$open, $text, $binary, $close, $offline, $occupied, $vacated] = $events;

        self::assertSame([WebhookEvent::OPEN, 'h1.7', 'u42', '127.0.0.1:50424', 1767225600.0], [$open->event, $open->handle, $open->id, $open->peer, $open->time]);
        self::assertFalse($open->isMessage());
        self::assertNull($open->data);

        self::assertTrue($text->isMessage() && $text->isText() && !$text->isBinary());
        self::assertSame(['text', "héllo <b>\"x\"</b>\nsecond line", 'h1.7', 'u42'], [$text->type, $text->data, $text->handle, $text->id]);

        self::assertTrue($binary->isBinary() && !$binary->isText());
        self::assertSame(['binary', "\x00\x01\xff\n", 1767225600.25], [$binary->type, $binary->data, $binary->time]);
        self::assertSame(base64_encode("\x00\x01\xff\n"), $binary->fields['data_base64'], 'the fields keep the body as it came');

        self::assertSame([WebhookEvent::CLOSE, 4005, 'u42', 1767225601.5], [$close->event, $close->code, $close->id, $close->time]);
        self::assertSame([WebhookEvent::OFFLINE, 'u42', null, 1767225604.0], [$offline->event, $offline->id, $offline->handle, $offline->time]);
        self::assertSame([WebhookEvent::OCCUPIED, 'room-7', null], [$occupied->event, $occupied->channel, $occupied->id]);
        self::assertSame([WebhookEvent::VACATED, 'room-7'], [$vacated->event, $vacated->channel]);
    }

    public function testAnEmptyTextOrBinaryMessageAndAnEmptyBatchAreFine(): void
    {
        $events = Webhook::decode(self::body([self::message('e1', ''), self::message('e2', '', 'binary')]));

        self::assertSame(['', ''], [$events[0]->data, $events[1]->data]);
        self::assertTrue($events[1]->isBinary());
        self::assertSame([], Webhook::decode('{"events":[]}'));
    }

    public function testAKindThisVersionDoesNotKnowKeepsItsFieldsAndIsNoMessage(): void
    {
        [$event] = Webhook::decode(self::body([['event_id' => 'e9', 'event' => 'member_added', 'time' => 1.5, 'user' => ['id' => 7]]]));

        self::assertSame(['e9', 'member_added', 1.5, null, null], [$event->eventId, $event->event, $event->time, $event->id, $event->data]);
        self::assertFalse($event->isMessage());
        self::assertSame(['id' => 7], $event->fields['user']);
    }

    public function testABodyThatIsNotTheRelaysIsRefusedWith400(): void
    {
        $malformed = [
            'not JSON' => 'events: none',
            'truncated' => substr(self::body([self::open('e1')]), 0, -3),
            'not UTF-8' => "{\"events\":[{\"event_id\":\"e1\",\"event\":\"\xff\",\"time\":1}]}",
            'no events' => '{"batch":[]}',
            'a list' => '[]',
            'events an object' => '{"events":{"0":{}}}',
            'events an empty object' => '{"events":{}}',
            'an empty event' => '{"events":[{}]}',
            'an event not an object' => '{"events":["open"]}',
            'an event a list' => '{"events":[["e1","open"]]}',
            'too deep' => '{"events":[{"a":' . str_repeat('[', 40) . str_repeat(']', 40) . '}]}',
            'no event_id' => self::body([array_diff_key(self::open('e1'), ['event_id' => 0])]),
            'empty event_id' => self::body([['event_id' => ''] + self::open('e1')]),
            'no kind' => self::body([array_diff_key(self::open('e1'), ['event' => 0])]),
            'time a string' => self::body([['time' => '1767225600'] + self::open('e1')]),
            'open without handle' => self::body([array_diff_key(self::open('e1'), ['handle' => 0])]),
            'a handle with a space' => self::body([['handle' => 'h 1'] + self::open('e1')]),
            'an id with a space' => self::body([['id' => 'u 42'] + self::open('e1')]),
            'open without peer' => self::body([array_diff_key(self::open('e1'), ['peer' => 0])]),
            'close without code' => self::body([['event' => 'close'] + self::open('e1')]),
            'close with a string code' => self::body([['event' => 'close', 'code' => '1000'] + self::open('e1')]),
            'message without type' => self::body([array_diff_key(self::message('e1', 'x'), ['type' => 0])]),
            'message of another type' => self::body([['type' => 'json'] + self::message('e1', 'x')]),
            'text without data' => self::body([array_diff_key(self::message('e1', 'x'), ['data' => 0])]),
            'text data a number' => self::body([['data' => 7] + self::message('e1', 'x')]),
            'binary without data_base64' => self::body([['type' => 'binary'] + self::message('e1', 'x')]),
            'binary not base64' => self::body([['data_base64' => 'not base64!'] + self::message('e1', 'x', 'binary')]),
            'offline without id' => self::body([['event_id' => 'e1', 'event' => 'offline', 'time' => 1]]),
            'occupied without channel' => self::body([['event_id' => 'e1', 'event' => 'occupied', 'time' => 1]]),
            'a channel with a slash' => self::body([['event_id' => 'e1', 'event' => 'vacated', 'time' => 1, 'channel' => 'a/b']]),
        ];
        foreach ($malformed as $what => $body) {
            $e = self::refused(fn () => (new Webhook(self::SECRET))->events($body, self::sign($body)), PayloadException::class, $what);
            self::assertSame(400, $e->httpStatus(), $what);
        }
    }

    public function testEveryRefusalIsAWebhookExceptionAndARawRelayException(): void
    {
        foreach ([new SignatureException('x'), new PayloadException('x')] as $e) {
            self::assertInstanceOf(WebhookException::class, $e);
            self::assertInstanceOf(RawRelayException::class, $e);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** @param list<array<string, mixed>> $events */
    private static function body(array $events): string
    {
        return json_encode(['events' => $events], JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    }

    private static function sign(string $body): string
    {
        return 'sha256=' . hash_hmac('sha256', $body, self::SECRET);
    }

    /** @return array<string, mixed> */
    private static function open(string $eventId): array
    {
        return ['event_id' => $eventId, 'event' => 'open', 'time' => 1767225600, 'handle' => 'h1.7', 'id' => 'u42', 'peer' => '127.0.0.1:50424'];
    }

    /** @return array<string, mixed> */
    private static function message(string $eventId, string $data, string $type = 'text'): array
    {
        return ['event' => 'message', 'type' => $type] + ($type === 'text' ? ['data' => $data] : ['data_base64' => base64_encode($data)])
            + self::open($eventId);
    }

    /**
     * The exception $call throws, which must be of class $class.
     *
     * @template T of \Throwable
     * @param class-string<T> $class
     * @return T
     */
    private static function refused(callable $call, string $class, string $what = ''): \Throwable
    {
        try {
            $call();
        } catch (\Throwable $e) {
            self::assertInstanceOf($class, $e, $what . ': ' . $e->getMessage());
            return $e;
        }
        self::fail("$what: nothing was thrown, expected $class");
    }
}
