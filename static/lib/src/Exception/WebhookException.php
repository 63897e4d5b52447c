<?php

declare(strict_types=1);

namespace RawRelay\Exception;

/**
 * A webhook request that cannot be taken (see RawRelay\Webhook): SignatureException for a missing or
 * wrong X-RawRelay-Signature, PayloadException for a body that is not the relay's {"events":[...]}.
 * httpStatus() is what to answer: neither is retried by the relay, since sending the same body again
 * cannot make it right.
 */
interface WebhookException extends RawRelayException
{
    /** The HTTP status to answer the relay with: 401 (signature) or 400 (payload). */
    public function httpStatus(): int;
}
