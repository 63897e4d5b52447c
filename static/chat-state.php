<?php

declare(strict_types=1);

/*
 * What chat.html shows before it goes live: a room's recent lines and the relay's position on the
 * room's channel that they go up to, with what the page needs to know of the chat.
 *
 *   GET chat-state.php?room=lobby
 *   ->  {"room":"lobby","channel":"chat.lobby","rooms":["lobby","help"],"position":"k3f9x:41",
 *        "lines":[{"id":1,"name":"Ada","text":"...","time":...},...],"enabled":true,
 *        "max_text":500,"max_name":40,"websocket":null}
 *
 * The same order as feed-state.php: the position first (POSITION chat.lobby), the database second.
 * chat-hook.php commits a line before it publishes it, so every line at or before the position is in
 * the list; the relay sends the page every line after it. A line both listed and sent (posted while
 * this page ran) has the same id both ways, and the page shows it once. "position" is null when the
 * relay cannot be reached. "enabled" is false when this site has no RAWRELAY_WEBHOOK_SECRET, so
 * chat-hook.php refuses the relay's posts: the page then says the chat is off. An unknown room is a
 * 404 with the rooms there are. "websocket" is RAWRELAY_WEBSOCKET_URL, as for the feed.
 */

require __DIR__ . '/lib/RawRelay.php';
require __DIR__ . '/demo/control-socket.php';
require __DIR__ . '/demo/chat-store.php';

use RawRelay\Client;
use RawRelay\Exception\RawRelayException;
use RawRelay\Webhook;

header('Cache-Control: no-store');
header('X-Content-Type-Options: nosniff');
header('Content-Type: application/json');

/** Ends the request with a status and a JSON body. */
function answer(int $status, array $body): never
{
    http_response_code($status);
    echo json_encode($body, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR), "\n";
    exit;
}

$rooms = ChatRooms::fromEnvironment();
$room = $_GET['room'] ?? $rooms->names()[0];
if (!$rooms->has($room)) {
    answer(404, ['error' => 'there is no such room here', 'rooms' => $rooms->names()]);
}
$channel = ChatRooms::channel($room);

$position = null;
try {
    $relay = new Client(controlSocketPath(), 2.0);
    $position = $relay->position($channel);                 // first the position ...
    $relay->close();
} catch (RawRelayException $e) {
    error_log('chat-state.php: ' . $e->getMessage());
}

try {
    $lines = ChatStore::fromEnvironment()->recent($room);   // ... then the database
} catch (ChatStoreException | PDOException $e) {
    error_log('chat-state.php: ' . $e->getMessage());
    $lines = [];
}

$secret = getenv(Webhook::SECRET_VARIABLE);
$websocket = getenv('RAWRELAY_WEBSOCKET_URL');
answer(200, [
    'room' => $room,
    'channel' => $channel,
    'rooms' => $rooms->names(),
    'position' => $position,
    'lines' => $lines,
    'enabled' => is_string($secret) && $secret !== '',
    'max_text' => ChatLine::MAX_TEXT,
    'max_name' => ChatLine::MAX_NAME,
    'websocket' => is_string($websocket) && $websocket !== '' ? $websocket : null,
]);
