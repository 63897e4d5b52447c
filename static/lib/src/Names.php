<?php

declare(strict_types=1);

namespace RawRelay;

use RawRelay\Exception\InvalidArgumentException;

/**
 * The relay's rules for ids and channel names, checked before anything is sent (the relay refuses
 * other names too, with `ERR usage: ...` or, at connect time, 400).
 */
final class Names
{
    /** An id: 1 to 128 printable ASCII characters (0x21-0x7E), so no spaces. */
    private const ID_PATTERN = '/^[\x21-\x7E]{1,128}$/D';

    /** A channel: 1 to 200 characters of A-Z a-z 0-9 _ - = @ , . ; (case-sensitive). */
    private const CHANNEL_PATTERN = '/^[A-Za-z0-9_\-=@,.;]{1,200}$/D';

    private function __construct()
    {
    }

    public static function isValidId(string $id): bool
    {
        return preg_match(self::ID_PATTERN, $id) === 1;
    }

    public static function isValidChannel(string $channel): bool
    {
        return preg_match(self::CHANNEL_PATTERN, $channel) === 1;
    }

    /** @throws InvalidArgumentException when $id is not a valid id. */
    public static function validateId(string $id): void
    {
        if (!self::isValidId($id)) {
            throw new InvalidArgumentException('id must be 1 to 128 printable ASCII characters without spaces');
        }
    }

    /** @throws InvalidArgumentException when $channel is not a valid channel name. */
    public static function validateChannel(string $channel): void
    {
        if (!self::isValidChannel($channel)) {
            throw new InvalidArgumentException(
                'channel must be 1 to 200 characters of A-Z a-z 0-9 _ - = @ , . ; (got ' . self::excerpt($channel) . ')'
            );
        }
    }

    /**
     * Checks a stream name: `*` (BROADCAST), `#<id>` (SEND to the id) or a channel name.
     *
     * @throws InvalidArgumentException otherwise.
     */
    public static function validateStream(string $stream): void
    {
        if ($stream === '*' || (str_starts_with($stream, '#') && self::isValidId(substr($stream, 1))) || self::isValidChannel($stream)) {
            return;
        }
        throw new InvalidArgumentException(
            'stream must be "*", "#<id>" or a channel name (got ' . self::excerpt($stream) . ')'
        );
    }

    /**
     * Checks a list of channel names (order kept, as a token covers them in order).
     *
     * @param array<mixed> $channels
     * @return list<string>
     * @throws InvalidArgumentException when an entry is not a string or not a valid name.
     */
    public static function validateChannels(array $channels): array
    {
        $names = [];
        foreach ($channels as $channel) {
            if (!is_string($channel)) {
                throw new InvalidArgumentException('channels must be strings, got ' . get_debug_type($channel));
            }
            self::validateChannel($channel);
            $names[] = $channel;
        }
        return $names;
    }

    private static function excerpt(string $text): string
    {
        $shown = strlen($text) > 40 ? substr($text, 0, 40) . '...' : $text;
        return json_encode($shown, JSON_INVALID_UTF8_SUBSTITUTE | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    }
}
