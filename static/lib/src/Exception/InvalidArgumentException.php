<?php

declare(strict_types=1);

namespace RawRelay\Exception;

/**
 * An argument the relay would refuse (a bad id or channel name, text that is not UTF-8, a close
 * reason that is too long), found before anything was sent. It is also PHP's
 * \InvalidArgumentException, so code that catches that one keeps working.
 */
final class InvalidArgumentException extends \InvalidArgumentException implements RawRelayException
{
}
