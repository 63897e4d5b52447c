<?php

declare(strict_types=1);

/*
 * A webhook endpoint for WebhookEndToEndTest: php -S runs it as its router script, for every
 * request. It answers with RawRelay\Webhook::handle(), the secret from RAWRELAY_WEBHOOK_SECRET, and
 * appends one JSON line per request to RAWRELAY_TEST_HOOK_LOG: the status it answered and the events
 * its handler was given. A text message "fail the first time" makes the handler throw, once per
 * event id, so the relay has to send that batch again.
 */

require __DIR__ . '/../../RawRelay.php';

use RawRelay\Webhook;
use RawRelay\WebhookEvent;

$log = (string) getenv('RAWRELAY_TEST_HOOK_LOG');
$seen = [];
$status = (new Webhook())->handle(static function (WebhookEvent $event) use (&$seen, $log): void {
    $seen[] = [
        'event_id' => $event->eventId, 'event' => $event->event, 'time' => $event->time,
        'handle' => $event->handle, 'id' => $event->id, 'peer' => $event->peer, 'code' => $event->code,
        'type' => $event->type, 'data_hex' => $event->data === null ? null : bin2hex($event->data), 'channel' => $event->channel,
    ];
    $failedOnce = $log . '.failed-' . md5($event->eventId);
    if ($event->isText() && $event->data === 'fail the first time' && !file_exists($failedOnce)) {
        touch($failedOnce);
        throw new RuntimeException('failing once, as the message asks');
    }
});
file_put_contents($log, json_encode([
    'method' => $_SERVER['REQUEST_METHOD'] ?? '',
    'status' => $status,
    'events' => $seen,
], JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES) . "\n", FILE_APPEND | LOCK_EX);
