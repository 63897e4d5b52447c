<?php

declare(strict_types=1);

namespace RawRelay\Exception;

use RuntimeException;

/**
 * A correctly signed webhook body that is not what the relay sends: not JSON, no "events" list, or an
 * event without its fields (an event_id, a kind, a time, and what its kind carries). Answer 400,
 * which the relay does not retry.
 */
final class PayloadException extends RuntimeException implements WebhookException
{
    public function httpStatus(): int
    {
        return 400;
    }
}
