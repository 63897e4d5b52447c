<?php

declare(strict_types=1);

namespace RawRelay\Exception;

/**
 * The relay did not take the command or did not answer within the client's timeout. The command
 * may or may not have run; the connection is dropped and the next command opens a new one.
 */
final class TimeoutException extends ConnectionException
{
}
