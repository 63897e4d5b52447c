<?php

declare(strict_types=1);

// Where the demo's PHP pages keep their data (the feed's topics, the chat's database):
// RAWRELAY_DEMO_DATA, or rawrelay-demo in the system's temporary folder.

if (get_included_files()[0] === __FILE__) {
    http_response_code(404); // a part of the pages, not a page
    exit;
}

/** The folder's path; makeDemoDataFolder() makes it. */
function demoDataFolder(): string
{
    $dir = getenv('RAWRELAY_DEMO_DATA');
    return is_string($dir) && $dir !== '' ? $dir : sys_get_temp_dir() . '/rawrelay-demo';
}

/** Makes the folder (mode 0770) unless it exists; false when it cannot. */
function makeDemoDataFolder(string $dir): bool
{
    return is_dir($dir) || @mkdir($dir, 0770, true) || is_dir($dir);
}
