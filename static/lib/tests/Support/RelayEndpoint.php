<?php

declare(strict_types=1);

namespace RawRelay\Tests\Support;

/**
 * A running relay the tests talk to, from the environment (see phpunit.xml.dist):
 *
 * - RAWRELAY_CONTROL, RAWRELAY_PORT, RAWRELAY_HOST (default 127.0.0.1): a relay without --secret;
 *   RAWRELAY_MAX_CHANNELS: its --max-channels (default 128); RAWRELAY_HISTORY: its --history (default 0).
 * - RAWRELAY_SECRET_CONTROL, RAWRELAY_SECRET_PORT and RAWRELAY_SECRET: a relay with --secret.
 * - RAWRELAY_HOOK_CONTROL, RAWRELAY_HOOK_PORT: a relay with --webhook http://127.0.0.1:<RAWRELAY_HOOK_LISTEN>/
 *   and --webhook-secret RAWRELAY_HOOK_SECRET (nothing listens there until a test starts an endpoint);
 *   RAWRELAY_BADHOOK_CONTROL, RAWRELAY_BADHOOK_PORT: one posting to the same URL with another secret.
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

    /** The relay with --webhook and the right secret, or null when the environment names none. */
    public static function hooked(): ?self
    {
        return self::fromEnvironment('RAWRELAY_HOOK_CONTROL', 'RAWRELAY_HOOK_PORT', null);
    }

    /** The relay that posts to the same webhook URL with another secret, or null. */
    public static function badlyHooked(): ?self
    {
        return self::fromEnvironment('RAWRELAY_BADHOOK_CONTROL', 'RAWRELAY_BADHOOK_PORT', null);
    }

    /**
     * Where the hooked relays post: the port a test's endpoint must listen on, and the right secret.
     *
     * @return array{port: int, secret: string}|null
     */
    public static function webhook(): ?array
    {
        $port = self::env('RAWRELAY_HOOK_LISTEN');
        $secret = self::env('RAWRELAY_HOOK_SECRET');
        return $port === null || $secret === null ? null : ['port' => (int) $port, 'secret' => $secret];
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
