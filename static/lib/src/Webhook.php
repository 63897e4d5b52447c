<?php

declare(strict_types=1);

namespace RawRelay;

use RawRelay\Exception\InvalidArgumentException;
use RawRelay\Exception\PayloadException;
use RawRelay\Exception\SignatureException;
use RawRelay\Exception\WebhookException;
use stdClass;
use Throwable;

/**
 * The receiving end of the relay's `--webhook`: checks a request's signature, decodes its events,
 * and answers the relay.
 *
 * The relay POSTs `{"events":[...]}` as application/json with
 * `X-RawRelay-Signature: sha256=<lowercase hex HMAC-SHA256 of the exact body, keyed with --webhook-secret>`.
 * It sends one batch at a time, in order, and reads the status: 2xx is delivered; no answer within
 * 10 s, 408, 429 and 5xx are retried with the same body; anything else gives the batch up. So:
 *
 *   - a bad signature or a malformed body: 401 / 400 (retrying the same bytes cannot help);
 *   - the events were handled (or deliberately ignored): 200;
 *   - they could not be handled now (the database is down): 5xx, and the batch comes again.
 *
 * Delivery is at least once: a retried batch (after a timeout, say, when PHP did finish) brings events
 * you have seen, with the same event_id. Record each event_id you act on with a UNIQUE constraint, in
 * the same transaction as what you do, and skip the ones already there.
 *
 *     $hook = new RawRelay\Webhook();                      // the secret from RAWRELAY_WEBHOOK_SECRET
 *     $hook->handle(function (RawRelay\WebhookEvent $event): void {
 *         if ($event->isText()) { ... $event->id, $event->data ... }
 *     });
 *
 * Standard library only (hash_hmac, hash_equals, json_decode, base64_decode).
 */
final class Webhook
{
    /** The request header that carries the signature. */
    public const SIGNATURE_HEADER = 'X-RawRelay-Signature';

    /** The environment variable the secret comes from by default: the relay's --webhook-secret as a variable. */
    public const SECRET_VARIABLE = 'RAWRELAY_WEBHOOK_SECRET';

    /** Nesting a body may have: {"events":[{...}]} needs 3, and an event's fields a few more. */
    private const MAX_DEPTH = 32;

    private readonly string $secret;

    /**
     * @param string|null $secret The relay's --webhook-secret; null for getenv('RAWRELAY_WEBHOOK_SECRET').
     * @throws InvalidArgumentException when there is no secret (none passed and none in the environment).
     */
    public function __construct(?string $secret = null)
    {
        if ($secret === null) {
            $fromEnvironment = getenv(self::SECRET_VARIABLE);
            $secret = is_string($fromEnvironment) ? $fromEnvironment : '';
        }
        if ($secret === '') {
            throw new InvalidArgumentException('no webhook secret: pass one or set ' . self::SECRET_VARIABLE);
        }
        $this->secret = $secret;
    }

    /** The X-RawRelay-Signature value for a body: `sha256=` and the lowercase hex HMAC-SHA256. */
    public function signature(string $body): string
    {
        return 'sha256=' . hash_hmac('sha256', $body, $this->secret);
    }

    /** True when $signature (the header's value, null when absent) is this body's, compared in constant time. */
    public function isSigned(string $body, ?string $signature): bool
    {
        return $signature !== null && hash_equals($this->signature($body), strtolower(trim($signature)));
    }

    /**
     * Checks the signature of a body.
     *
     * @param string      $body      The request body exactly as it came (php://input), not re-encoded.
     * @param string|null $signature The X-RawRelay-Signature header's value; null when there is none.
     * @throws SignatureException when it is missing, malformed or not this body's under this secret.
     */
    public function verify(string $body, ?string $signature): void
    {
        if ($signature === null || trim($signature) === '') {
            throw new SignatureException('no ' . self::SIGNATURE_HEADER . ' header');
        }
        if (preg_match('/^sha256=[0-9a-f]{64}$/Di', trim($signature)) !== 1) {
            throw new SignatureException(self::SIGNATURE_HEADER . ' is not sha256=<64 hex digits>');
        }
        if (!$this->isSigned($body, $signature)) {
            throw new SignatureException(self::SIGNATURE_HEADER . ' does not match the body (another secret, or an altered body)');
        }
    }

    /**
     * The events of a body whose signature checks out, in the relay's order.
     *
     * @return list<WebhookEvent>
     * @throws SignatureException|PayloadException
     */
    public function events(string $body, ?string $signature): array
    {
        $this->verify($body, $signature);
        return self::decode($body);
    }

    /**
     * The events of the current request: its raw body (php://input) and its X-RawRelay-Signature.
     *
     * @return list<WebhookEvent>
     * @throws SignatureException|PayloadException
     */
    public function receive(): array
    {
        $body = file_get_contents('php://input');
        $signature = $_SERVER['HTTP_X_RAWRELAY_SIGNATURE'] ?? null;
        return $this->events(is_string($body) ? $body : '', is_string($signature) ? $signature : null);
    }

    /**
     * Answers the current request as the webhook endpoint: a POST whose signature checks out has its
     * events handed to $onEvent one by one, in order, then gets 200. Otherwise the answer is 405 (not a
     * POST), 401 (signature) or 400 (body), and $onEvent is not called. When $onEvent throws, the
     * exception is logged (error_log) and the answer is 500, so the relay sends the whole batch again
     * later: the events before it come a second time (dedupe by event_id).
     *
     * @param callable(WebhookEvent): void $onEvent
     * @return int The status answered.
     */
    public function handle(callable $onEvent): int
    {
        if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
            if (!headers_sent()) {
                header('Allow: POST');
            }
            return self::respond(405, 'the relay POSTs its events here');
        }
        try {
            $events = $this->receive();
        } catch (WebhookException $e) {
            error_log('webhook refused: ' . $e->getMessage());
            return self::respond($e->httpStatus(), $e->getMessage());
        }
        try {
            foreach ($events as $event) {
                $onEvent($event);
            }
        } catch (Throwable $e) {
            error_log(sprintf('webhook: %s: %s at %s:%d; answering 500, the relay retries the batch',
                $e::class, $e->getMessage(), $e->getFile(), $e->getLine()));
            return self::respond(500, 'not handled now: send the batch again');
        }
        return self::respond(200, 'ok: ' . count($events) . ' event(s)');
    }

    /**
     * The events of a body (its signature already checked), in the relay's order.
     *
     * @return list<WebhookEvent>
     * @throws PayloadException when it is not {"events":[...]} with well-formed events.
     */
    public static function decode(string $body): array
    {
        try {
            // Objects as objects, so that {} and [] stay apart (as arrays, {"events":{}} would pass for a list).
            $decoded = json_decode($body, false, self::MAX_DEPTH, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new PayloadException('the body is not JSON: ' . $e->getMessage(), 0, $e);
        }
        if (!$decoded instanceof stdClass || !is_array($decoded->events ?? null)) {
            throw new PayloadException('the body is not {"events":[...]}');
        }
        $events = [];
        foreach ($decoded->events as $event) {
            if (!$event instanceof stdClass) {
                throw new PayloadException('an event is not a JSON object');
            }
            $events[] = WebhookEvent::fromArray(self::toArray($event));
        }
        return $events;
    }

    /**
     * A decoded JSON object as an array, its objects inside it too.
     *
     * @return array<mixed>
     */
    private static function toArray(stdClass|array $value): array
    {
        $array = (array) $value;
        foreach ($array as $key => $item) {
            if ($item instanceof stdClass || is_array($item)) {
                $array[$key] = self::toArray($item);
            }
        }
        return $array;
    }

    /**
     * Ends the answer to the relay: the status and a one-line text/plain body (the relay only reads
     * the status; the text is for people reading logs).
     *
     * @return int $status
     */
    public static function respond(int $status, string $text): int
    {
        if (!headers_sent()) {
            http_response_code($status);
            header('Content-Type: text/plain; charset=utf-8');
            header('Cache-Control: no-store');
        }
        echo str_replace(["\r", "\n"], ' ', $text), "\n";
        return $status;
    }
}
