<?php

declare(strict_types=1);

/*
 * The demo's webhook endpoint: the relay runs with --webhook http://<this site>/chat-hook.php and
 * --webhook-secret <secret>, and POSTs every event of every connection here. This page knows the same
 * secret as RAWRELAY_WEBHOOK_SECRET (make run sets both; behind Apache or nginx, see the README's
 * Deployment), checks each request's signature with RawRelay\Webhook, and acts on chat lines only:
 * text messages that are a chat line's JSON (demo/chat-line.php). Everything else (opens, closes,
 * presence, what other pages send) is taken and ignored.
 *
 * A chat line that keeps the rules is stored (demo/chat-store.php, once per event_id, so a retried
 * batch stores nothing twice) and published to its room's channel, chat.<room>, as
 *
 *   {"type":"line","id":17,"room":"lobby","name":"Ada","text":"...","time":1767225600.123,"ref":"..."}
 *
 * A line that breaks one is refused: its sender's id gets (SEND, once per event_id)
 *
 *   {"type":"refused","room":"lobby","ref":"...","reason":"A line is at most 500 characters; this one has 612."}
 *
 * Answers: 200 when the batch was handled, 401 for a bad signature and 400 for a body that is not the
 * relay's (neither is retried), 500 when the database or the relay's control socket failed (the relay
 * sends the batch again), 503 when this site has no RAWRELAY_WEBHOOK_SECRET (the relay retries until
 * it has one).
 */

require __DIR__ . '/lib/RawRelay.php';
require __DIR__ . '/demo/control-socket.php';
require __DIR__ . '/demo/chat-store.php';

use RawRelay\Client;
use RawRelay\Exception\InvalidArgumentException;
use RawRelay\Exception\RawRelayException;
use RawRelay\Webhook;
use RawRelay\WebhookEvent;

header('X-Content-Type-Options: nosniff');

try {
    $hook = new Webhook();                              // the secret from RAWRELAY_WEBHOOK_SECRET
} catch (InvalidArgumentException $e) {
    error_log('chat-hook.php: ' . $e->getMessage());
    Webhook::respond(503, 'this site has no RAWRELAY_WEBHOOK_SECRET: it cannot check who is posting');
    exit;
}

$rooms = ChatRooms::fromEnvironment();
$store = null;                                          // opened for the first chat line of the batch
$relay = null;
$hook->handle(static function (WebhookEvent $event) use ($rooms, &$store, &$relay): void {
    if (!$event->isText()) {
        return;
    }
    try {
        $line = ChatLine::fromMessage($event->data, $rooms);
    } catch (ChatLineRefused $refusal) {
        $store ??= ChatStore::fromEnvironment();
        if ($store->refuseOnce($event->eventId)) {
            tellSender($relay ??= new Client(controlSocketPath(), 2.0), $event->id, $refusal);
        }
        return;
    }
    if ($line === null) {
        return;                                         // not for the chat
    }
    $store ??= ChatStore::fromEnvironment();
    $relay ??= new Client(controlSocketPath(), 2.0);
    $store->post($event->eventId, $event->id, $line, $event->time, static fn (array $stored): int
        => $relay->publishJson(ChatRooms::channel($line->room), ['type' => 'line'] + $stored));
});

/** Tells every connection of the sender's id why its line was not posted; a notice that cannot go is only logged. */
function tellSender(Client $relay, string $id, ChatLineRefused $refusal): void
{
    try {
        $relay->sendJson($id, ['type' => 'refused', 'room' => $refusal->room, 'ref' => $refusal->ref, 'reason' => $refusal->getMessage()]);
    } catch (RawRelayException $e) {
        error_log('chat-hook.php: the refusal did not reach ' . $id . ': ' . $e->getMessage());
    }
}
