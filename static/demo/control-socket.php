<?php

declare(strict_types=1);

// The relay's control socket for the demo's PHP pages: RAWRELAY_CONTROL, or the relay's default.

if (get_included_files()[0] === __FILE__) {
    http_response_code(404); // a part of the pages, not a page
    exit;
}

function controlSocketPath(): string
{
    $socket = getenv('RAWRELAY_CONTROL');
    return is_string($socket) && $socket !== '' ? $socket : '/tmp/rawrelay.sock';
}
