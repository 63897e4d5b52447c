<?php

declare(strict_types=1);

namespace RawRelay\Tests\Support;

/**
 * A running relay the tests talk to, from the environment (see phpunit.xml.dist):
 *
 * - RAWRELAY_CONTROL, RAWRELAY_PORT, RAWRELAY_HOST (default 127.0.0.1): a relay without --secret;
 *   RAWRELAY_MAX_CHANNELS: its --max-channels (default 128); RAWRELAY_HISTORY: its --history (default 0).
 * - RAWRELAY_SECRET_CONTROL, RAWRELAY_SECRET_PORT and RAWRELAY_SECRET: a relay with --secret.
 */
final class RelayEndpoint
{
    private function __construct(
        public readonly string $host,
        public readonly int $port,
        public readonly string $controlPath,
        public readonly ?string $secret,
    ) {
    }

    /** The relay without --secret, or null when the environment names none. */
    public static function open(): ?self
    {
        return self::fromEnvironment('RAWRELAY_CONTROL', 'RAWRELAY_PORT', null);
    }

    /** The relay with --secret, or null when the environment names none. */
    public static function secured(): ?self
    {
        $secret = self::env('RAWRELAY_SECRET');
        return $secret === null ? null : self::fromEnvironment('RAWRELAY_SECRET_CONTROL', 'RAWRELAY_SECRET_PORT', $secret);
    }

    /** The open relay's --history (RAWRELAY_HISTORY; 0, history off, when unset). */
    public static function history(): int
    {
        return (int) (self::env('RAWRELAY_HISTORY') ?? 0);
    }

    /** The open relay's --max-channels. */
    public static function maxChannels(): int
    {
        return (int) (self::env('RAWRELAY_MAX_CHANNELS') ?? 128);
    }

    private static function fromEnvironment(string $controlVariable, string $portVariable, ?string $secret): ?self
    {
        $control = self::env($controlVariable);
        $port = self::env($portVariable);
        if ($control === null || $port === null) {
            return null;
        }
        return new self(self::env('RAWRELAY_HOST') ?? '127.0.0.1', (int) $port, $control, $secret);
    }

    private static function env(string $name): ?string
    {
        $value = getenv($name);
        return is_string($value) && $value !== '' ? $value : null;
    }
}
