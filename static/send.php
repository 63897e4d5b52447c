<?php

declare(strict_types=1);

/*
 * Demo page: sends a message to a board (index.html) through the relay's control socket, as
 * {"message": "..."}, which the board shows as text.
 */

require __DIR__ . '/lib/RawRelay.php';
require __DIR__ . '/demo/message-form.php';

use RawRelay\Client;

messageFormPage([
    'title' => 'Send to a board',
    'heading' => 'Send a message to a board',
    'action' => 'send.php',
    'field' => 'id',
    'label' => 'Board id',
    'pattern' => '[!-~]{1,128}',
    'maxlength' => 128,
    'placeholder' => 'QVZS7CQWAE',
    'rule' => '1 to 128 printable ASCII characters, no spaces',
    'button' => 'Send',
    'deliver' => static fn (Client $relay, string $id, string $text): int => $relay->sendJson($id, ['message' => $text]),
    'delivered' => static fn (int $n): string
        => "Delivered to $n connection(s)" . ($n === 0 ? ' (no board with this id is open)' : ''),
    'back' => static fn (string $id): array => $id === ''
        ? ['index.html', 'Back to the board']
        : ['index.html?id=' . rawurlencode($id), "Back to the board $id"],
]);
