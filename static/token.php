<?php

declare(strict_types=1);

/*
 * Mints a connection token for the board page when the relay runs with --secret:
 * GET token.php?id=<id>  ->  {"exp":<unix seconds>,"token":"<hex HMAC-SHA256 of id:exp>"}
 *
 * Without RAWRELAY_SECRET in the environment this page does not exist (404), and the board
 * connects without a token. The secret is the relay's --secret (RAWRELAY_SECRET for both).
 *
 * This demo mints a token for any id it is asked for, so it shows the mechanism and protects
 * nothing. A real application mints tokens only for the ids the logged-in user may read, e.g.
 * RawRelay::token('user-' . $_SESSION['user_id'], 300).
 */

require __DIR__ . '/lib/RawRelay.php';

header('Cache-Control: no-store');
header('X-Content-Type-Options: nosniff');

/** Ends the request with a status and a JSON body. */
function respond(int $status, array $body): never
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES), "\n";
    exit;
}

$secret = getenv('RAWRELAY_SECRET');
if (!is_string($secret) || $secret === '') {
    http_response_code(404);
    header('Content-Type: text/plain; charset=utf-8');
    echo "Not Found\n";
    exit;
}

$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
if ($method !== 'GET' && $method !== 'HEAD') {
    header('Allow: GET, HEAD');
    respond(405, ['error' => 'method not allowed']);
}

$id = $_GET['id'] ?? null;
if (!is_string($id)) {
    respond(400, ['error' => 'id is required']);
}
try {
    respond(200, RawRelay::token($id, 300, $secret));
} catch (InvalidArgumentException $e) {
    respond(400, ['error' => $e->getMessage()]);
}
