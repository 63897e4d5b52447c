<?php

declare(strict_types=1);

namespace RawRelay\Exception;

use RuntimeException;

/**
 * The control socket could not be reached (no relay, no permission), the connection broke, or the
 * relay answered something that is not a reply to the command. The next command opens a new
 * connection.
 */
class ConnectionException extends RuntimeException implements RawRelayException
{
}
