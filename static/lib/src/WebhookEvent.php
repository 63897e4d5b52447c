<?php

declare(strict_types=1);

namespace RawRelay;

use RawRelay\Exception\PayloadException;

/**
 * One event of a webhook body (see Webhook), checked and typed. Every event has an event id, a kind
 * and a time; the rest depends on the kind:
 *
 *   kind       handle, id, peer   code   type, data                         channel
 *   open       yes
 *   close      yes                yes
 *   message    yes                       'text': the text; 'binary': the bytes
 *   offline    id only
 *   occupied                                                                yes
 *   vacated                                                                 yes
 *
 * A binary message's data are its bytes, already decoded from the body's base64. A kind this version
 * does not know keeps its fields in $fields only, so a newer relay does not break an older handler
 * (which should ignore what it does not know). Immutable.
 */
final class WebhookEvent
{
    public const OPEN = 'open';
    public const CLOSE = 'close';
    public const MESSAGE = 'message';
    public const OFFLINE = 'offline';
    public const OCCUPIED = 'occupied';
    public const VACATED = 'vacated';

    /** A connection handle: 1 to 64 characters of A-Z a-z 0-9 - . */
    private const HANDLE_PATTERN = '/^[A-Za-z0-9.\-]{1,64}$/D';

    /**
     * @param string               $eventId Unique per event; the same again when a batch is retried (dedupe by it).
     * @param string               $event   The kind: one of the constants above, or a newer one.
     * @param float                $time    When it happened, unix seconds with fractions.
     * @param string|null          $handle  The connection (open, close, message), for DISCONNECT.
     * @param string|null          $id      The connection's id (open, close, message, offline).
     * @param string|null          $peer    The browser's `host:port` (open, close, message).
     * @param int|null             $code    The first close frame's code, 1006 when there was none (close).
     * @param string|null          $type    'text' or 'binary' (message).
     * @param string|null          $data    The text (UTF-8), or the bytes of a binary message (message).
     * @param string|null          $channel The channel (occupied, vacated).
     * @param array<string, mixed> $fields  The event's JSON object as it came (a binary message's data
     *                                      still as data_base64).
     */
    private function __construct(
        public readonly string $eventId,
        public readonly string $event,
        public readonly float $time,
        public readonly ?string $handle,
        public readonly ?string $id,
        public readonly ?string $peer,
        public readonly ?int $code,
        public readonly ?string $type,
        public readonly ?string $data,
        public readonly ?string $channel,
        public readonly array $fields,
    ) {
    }

    /**
     * An event from its decoded JSON object.
     *
     * @param array<mixed> $fields
     * @throws PayloadException when a field its kind must have is missing or of the wrong type.
     */
    public static function fromArray(array $fields): self
    {
        $eventId = self::string($fields, 'event_id');
        $kind = self::string($fields, 'event');
        $time = $fields['time'] ?? null;
        if (!is_int($time) && !is_float($time)) {
            throw new PayloadException("event $eventId: \"time\" must be a number of unix seconds");
        }
        $handle = $id = $peer = $type = $data = $channel = null;
        $code = null;
        switch ($kind) {
            case self::OPEN:
            case self::CLOSE:
            case self::MESSAGE:
                $handle = self::string($fields, 'handle', self::HANDLE_PATTERN);
                $id = self::id($fields);
                $peer = self::string($fields, 'peer');
                break;
            case self::OFFLINE:
                $id = self::id($fields);
                break;
            case self::OCCUPIED:
            case self::VACATED:
                $channel = self::string($fields, 'channel');
                if (!Names::isValidChannel($channel)) {
                    throw new PayloadException("event $eventId: \"channel\" is not a channel name");
                }
                break;
        }
        if ($kind === self::CLOSE) {
            $code = $fields['code'] ?? null;
            if (!is_int($code)) {
                throw new PayloadException("event $eventId: \"code\" must be an integer");
            }
        }
        if ($kind === self::MESSAGE) {
            [$type, $data] = self::payload($fields, $eventId);
        }
        /** @var array<string, mixed> $fields */
        return new self($eventId, $kind, (float) $time, $handle, $id, $peer, $code, $type, $data, $channel, $fields);
    }

    /** A message, text or binary. */
    public function isMessage(): bool
    {
        return $this->event === self::MESSAGE;
    }

    /** A text message: $data is UTF-8 text. */
    public function isText(): bool
    {
        return $this->event === self::MESSAGE && $this->type === 'text';
    }

    /** A binary message: $data holds its bytes. */
    public function isBinary(): bool
    {
        return $this->event === self::MESSAGE && $this->type === 'binary';
    }

    /**
     * A message's type and data: the text, or the bytes of data_base64.
     *
     * @param array<mixed> $fields
     * @return array{0: string, 1: string}
     */
    private static function payload(array $fields, string $eventId): array
    {
        $type = self::string($fields, 'type');
        if ($type === 'text') {
            if (!is_string($fields['data'] ?? null)) {
                throw new PayloadException("event $eventId: a text message needs \"data\", a string");
            }
            return ['text', $fields['data']];
        }
        if ($type === 'binary') {
            $bytes = is_string($fields['data_base64'] ?? null) ? base64_decode($fields['data_base64'], true) : false;
            if ($bytes === false) {
                throw new PayloadException("event $eventId: a binary message needs \"data_base64\", in base64");
            }
            return ['binary', $bytes];
        }
        throw new PayloadException("event $eventId: a message's \"type\" is \"text\" or \"binary\"");
    }

    /** @param array<mixed> $fields */
    private static function id(array $fields): string
    {
        $id = self::string($fields, 'id');
        if (!Names::isValidId($id)) {
            throw new PayloadException('event ' . $fields['event_id'] . ': "id" is not a connection id');
        }
        return $id;
    }

    /**
     * A field that must be a non-empty string (matching $pattern, when given).
     *
     * @param array<mixed> $fields
     */
    private static function string(array $fields, string $name, ?string $pattern = null): string
    {
        $value = $fields[$name] ?? null;
        if (!is_string($value) || $value === '' || ($pattern !== null && preg_match($pattern, $value) !== 1)) {
            $which = $name === 'event_id' || !is_string($fields['event_id'] ?? null) ? 'an event' : 'event ' . $fields['event_id'];
            throw new PayloadException("$which: \"$name\" is missing or not a valid string");
        }
        return $value;
    }
}
