<?php

declare(strict_types=1);

namespace RawRelay\Exception;

use Throwable;

/**
 * Everything the RawRelay client throws implements this, so one catch takes it all:
 *
 *     try { $relay->publish('orders', $json); } catch (RawRelayException $e) { ... }
 *
 * - ErrorReplyException: the relay answered `ERR <reason>` (its reason is getReason()).
 * - ConnectionException: the control socket cannot be reached, broke, or answered out of step;
 *   TimeoutException, one of them, when the relay did not answer in time.
 * - InvalidArgumentException: an argument that cannot be valid (a bad id or channel name, text
 *   that is not UTF-8), found before anything was sent.
 * - JsonException: a value sendJson() or publishJson() cannot encode.
 *
 * The one-file client's global name `RawRelayException` is this interface.
 */
interface RawRelayException extends Throwable
{
}
