<?php

declare(strict_types=1);

/*
 * What feed.html shows before it goes live: a topic's recent messages and the relay's position on
 * the topic's stream that they go up to.
 *
 *   GET feed-state.php?topic=orders
 *   ->  {"topic":"orders","position":"k3f9x:41","messages":[{"id":1,"text":"...","time":...},...],
 *        "websocket":null}
 *
 * The order is what makes it exact: the position is read first (POSITION orders), the stored
 * messages second. publish.php stores a message before it publishes it, so every message at or
 * before the position is in the list; the page hands the position to rawrelay.js, and the relay sends
 * it everything after the position. A message both stored and sent (published while this page ran)
 * comes with the same id both ways, and the page shows it once. "position" is null when the relay
 * cannot be reached: the page then shows the list and goes live from wherever it connects.
 *
 * "websocket" is RAWRELAY_WEBSOCKET_URL when set (e.g. ws://127.0.0.1:8080/websocket, for php -S on
 * another port than the relay), else null: the page's own host, /websocket (Apache, nginx).
 */

require __DIR__ . '/lib/RawRelay.php';
require __DIR__ . '/demo/feed-store.php';
require __DIR__ . '/demo/control-socket.php';

use RawRelay\Client;
use RawRelay\Exception\InvalidArgumentException;
use RawRelay\Exception\RawRelayException;

header('Cache-Control: no-store');
header('X-Content-Type-Options: nosniff');
header('Content-Type: application/json');

$topic = $_GET['topic'] ?? 'orders';
try {
    Client::validateChannel(is_string($topic) ? $topic : '');
} catch (InvalidArgumentException $e) {
    http_response_code(400);
    echo json_encode(['error' => $e->getMessage()], JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
    exit;
}

$position = null;
try {
    $relay = new Client(controlSocketPath(), 2.0);
    $position = $relay->position($topic);                 // first the position ...
    $relay->close();
} catch (RawRelayException $e) {
    error_log('feed-state.php: ' . $e->getMessage());
}

try {
    $messages = FeedStore::fromEnvironment()->recent($topic);   // ... then the "database"
} catch (FeedStoreException $e) {
    error_log('feed-state.php: ' . $e->getMessage());
    $messages = [];
}

$websocket = getenv('RAWRELAY_WEBSOCKET_URL');
echo json_encode([
    'topic' => $topic,
    'position' => $position,
    'messages' => $messages,
    'websocket' => is_string($websocket) && $websocket !== '' ? $websocket : null,
], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR), "\n";
