<?php

declare(strict_types=1);

/*
 * Mints a connection token for the demo pages when the relay runs with --secret:
 *
 *   GET token.php?id=<id>                              the board (index.html)
 *   GET token.php?id=<id>&channel=<a>&channel=<b>      a page that asks for channels (feed.html)
 *   ->  {"exp":<unix seconds>,"token":"<hex HMAC-SHA256 of "<id>:<exp> <a> <b>">"}
 *
 * The query is the page's WebSocket query without exp and token, so the token covers exactly the
 * id and channels (in their order) the page connects with. Without RAWRELAY_SECRET in the
 * environment this page does not exist (404) and the pages connect without a token. The secret is
 * the relay's --secret (RAWRELAY_SECRET for both).
 *
 * This demo mints a token for any id and channel it is asked for, so it shows the mechanism and
 * protects nothing. A real application mints tokens only for what the logged-in user may read, e.g.
 * RawRelay\Client::token('user-' . $_SESSION['user_id'], 300, ['account-' . $_SESSION['account_id']]).
 */

require __DIR__ . '/lib/RawRelay.php';

use RawRelay\Client;

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

/**
 * The values of a query parameter that may repeat (`channel=a&channel=b`), in order: PHP's $_GET
 * keeps only the last of them.
 *
 * @return list<string>
 */
function queryValues(string $query, string $name): array
{
    $values = [];
    foreach (explode('&', $query) as $pair) {
        [$key, $value] = array_pad(explode('=', $pair, 2), 2, '');
        if (rawurldecode($key) === $name) {
            $values[] = rawurldecode($value);
        }
    }
    return $values;
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
$channels = queryValues((string) ($_SERVER['QUERY_STRING'] ?? ''), 'channel');
try {
    respond(200, Client::token($id, 300, $channels, $secret));
} catch (InvalidArgumentException $e) {
    respond(400, ['error' => $e->getMessage()]);
}
