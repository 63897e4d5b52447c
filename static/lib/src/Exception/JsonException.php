<?php

declare(strict_types=1);

namespace RawRelay\Exception;

/**
 * A value sendJson() or publishJson() cannot encode (a string that is not UTF-8, a resource, a
 * recursion too deep). It is also PHP's \JsonException; the encoder's own exception is getPrevious().
 */
final class JsonException extends \JsonException implements RawRelayException
{
}
