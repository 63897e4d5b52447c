<?php

declare(strict_types=1);

namespace RawRelay\Exception;

use RuntimeException;

/**
 * The relay refused a command with `ERR <reason>`: "too many channels", "invalid close code",
 * "message too large", "usage: SUBSCRIBE <id> <channel>", ...
 *
 * The message is the reason, without the "ERR " in front. The control connection stays usable
 * (after "payload too large", which makes the relay close it, the next command opens a new one).
 */
final class ErrorReplyException extends RuntimeException implements RawRelayException
{
    public function __construct(private readonly string $reason)
    {
        parent::__construct($reason === '' ? 'ERR' : $reason);
    }

    /** The relay's reason, e.g. "too many channels". */
    public function getReason(): string
    {
        return $this->reason;
    }
}
