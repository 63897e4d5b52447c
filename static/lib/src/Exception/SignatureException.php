<?php

declare(strict_types=1);

namespace RawRelay\Exception;

use RuntimeException;

/**
 * A webhook request without an X-RawRelay-Signature header, with one that is not
 * `sha256=<64 hex digits>`, or with one that is not the HMAC-SHA256 of the body under this secret
 * (another secret, an altered body, or not the relay at all). Nothing in the body may be trusted;
 * answer 401, which the relay does not retry.
 */
final class SignatureException extends RuntimeException implements WebhookException
{
    public function httpStatus(): int
    {
        return 401;
    }
}
