<?php

declare(strict_types=1);

/*
 * Demo page: stores a message in the topic's feed (demo/feed-store.php) and publishes it to the topic
 * (a channel of the relay) with the PHP client's publishJson(), as {"id": <n>, "message": "...",
 * "time": <unix seconds>}; every open feed.html of that topic shows it as text, and so does every
 * feed opened later (feed-state.php). Where the store cannot be written, the message is published
 * without an id and only the open feeds show it.
 */

require __DIR__ . '/lib/RawRelay.php';
require __DIR__ . '/demo/message-form.php';
require __DIR__ . '/demo/feed-store.php';

use RawRelay\Client;

messageFormPage([
    'title' => 'Publish to a topic',
    'heading' => 'Publish a message to a topic',
    'action' => 'publish.php',
    'field' => 'topic',
    'label' => 'Topic',
    'pattern' => '[A-Za-z0-9_\-=@,.;]{1,200}',
    'maxlength' => 200,
    'placeholder' => 'orders',
    'rule' => '1 to 200 characters of A-Z a-z 0-9 _ - = @ , . ;',
    'button' => 'Publish',
    'deliver' => static function (Client $relay, string $topic, string $text): int {
        Client::validateChannel($topic);
        try {
            return FeedStore::fromEnvironment()->append($topic, $text, static fn (int $id, float $time): int
                => $relay->publishJson($topic, ['id' => $id, 'message' => $text, 'time' => $time]));
        } catch (FeedStoreException $e) {
            error_log('publish.php: not stored: ' . $e->getMessage());
            return $relay->publishJson($topic, ['message' => $text]);
        }
    },
    'delivered' => static fn (int $n): string
        => "Published to $n connection(s)" . ($n === 0 ? ' (no feed of this topic is open)' : ''),
    'back' => static fn (string $topic): array => $topic === ''
        ? ['feed.html', 'Back to the feed']
        : ['feed.html?topic=' . rawurlencode($topic), "Back to the feed $topic"],
]);
