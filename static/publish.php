<?php

declare(strict_types=1);

/*
 * Demo page: publishes a message to a topic (a channel of the relay) with the PHP client's
 * publishJson(), as {"message": "..."}; every open feed.html of that topic shows it as text.
 */

require __DIR__ . '/lib/RawRelay.php';
require __DIR__ . '/demo/message-form.php';

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
    'deliver' => static fn (Client $relay, string $topic, string $text): int
        => $relay->publishJson($topic, ['message' => $text]),
    'delivered' => static fn (int $n): string
        => "Published to $n connection(s)" . ($n === 0 ? ' (no feed of this topic is open)' : ''),
    'back' => static fn (string $topic): array => $topic === ''
        ? ['feed.html', 'Back to the feed']
        : ['feed.html?topic=' . rawurlencode($topic), "Back to the feed $topic"],
]);
