<?php

declare(strict_types=1);

namespace RawRelay\Tests\Support;

use RuntimeException;

/** What the relay sent a test's WebSocket client was not what RFC 6455 or the test expected. */
final class WebSocketFailure extends RuntimeException
{
}
