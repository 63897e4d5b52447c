<?php

declare(strict_types=1);

namespace RawRelay;

use RawRelay\Exception\InvalidArgumentException;

/**
 * Connection tokens for a relay started with `--secret`.
 *
 * A browser connects with `/websocket?id=<id>&channel=<a>&channel=<b>&exp=<exp>&token=<token>`; the
 * token is the lowercase hex HMAC-SHA256, keyed with the secret, of "<id>:<exp>" followed by a space
 * and each channel in the order of the query ("u42:1767225600 news room-7"), or of just "<id>:<exp>"
 * when the query asks for no channel.
 */
final class Token
{
    private function __construct()
    {
    }

    /**
     * Mints a token. Mint one only for an id and channels the current user may read: whoever holds
     * it receives what is sent to them.
     *
     * @param string       $id         The id the browser connects with.
     * @param int          $ttlSeconds How long the token may be used to connect (at least 1 second).
     * @param list<string> $channels   The channels the browser asks for in its query, in that order.
     * @param string|null  $secret     The relay's secret; null for getenv('RAWRELAY_SECRET').
     * @return array{exp: int, token: string} The unix time it expires at, and the token.
     * @throws InvalidArgumentException for a bad id or channel, a ttl below 1, or no secret at all.
     */
    public static function mint(string $id, int $ttlSeconds = 3600, array $channels = [], ?string $secret = null): array
    {
        Names::validateId($id);
        $channels = Names::validateChannels($channels);
        if ($ttlSeconds < 1) {
            throw new InvalidArgumentException('token lifetime must be at least 1 second');
        }
        $secret ??= self::secretFromEnvironment();
        if ($secret === '') {
            throw new InvalidArgumentException('no secret: pass one or set RAWRELAY_SECRET');
        }
        $exp = time() + $ttlSeconds;
        return ['exp' => $exp, 'token' => hash_hmac('sha256', self::signedText($id, $exp, $channels), $secret)];
    }

    /**
     * The text a token signs: "<id>:<exp>", then " <channel>" for each channel.
     *
     * @param list<string> $channels
     */
    public static function signedText(string $id, int $exp, array $channels = []): string
    {
        $text = "$id:$exp";
        foreach ($channels as $channel) {
            $text .= ' ' . $channel;
        }
        return $text;
    }

    private static function secretFromEnvironment(): string
    {
        $secret = getenv('RAWRELAY_SECRET');
        return is_string($secret) ? $secret : '';
    }
}
