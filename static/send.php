<?php

declare(strict_types=1);

/*
 * Demo page: sends a message to a board through the relay's control socket.
 *
 * Whoever can use this page can write to any board, as whoever can write to the control socket can:
 * in a real application, check who is logged in and which ids they may write to before sending.
 */

require __DIR__ . '/lib/RawRelay.php';

header('Content-Type: text/html; charset=utf-8');
header('X-Content-Type-Options: nosniff');
header('Referrer-Policy: same-origin');
header("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");

function h(string $text): string
{
    return htmlspecialchars($text, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML5, 'UTF-8');
}

/** A string form or query field, or '' when it is missing or not a string (e.g. id[]=x). */
function field(array $source, string $name): string
{
    $value = $source[$name] ?? '';
    return is_string($value) ? $value : '';
}

/** True when a browser says the form was posted from another site (a cross-site request). */
function crossSite(): bool
{
    if (($_SERVER['HTTP_SEC_FETCH_SITE'] ?? '') === 'cross-site') {
        return true;
    }
    $origin = $_SERVER['HTTP_ORIGIN'] ?? null;
    if (!is_string($origin)) {
        return false; // older browsers and command-line clients send no Origin
    }
    $host = $_SERVER['HTTP_HOST'] ?? '';
    $originHost = preg_replace('#^[a-z][a-z0-9+.-]*://#i', '', $origin);
    return strcasecmp((string) $originHost, $host) !== 0;
}

$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
$id = trim(field($method === 'POST' ? $_POST : $_GET, 'id'));
$text = str_replace("\r\n", "\n", field($_POST, 'message'));
$notice = null; // [css class, text]

if ($method === 'POST') {
    $socket = getenv('RAWRELAY_CONTROL');
    $socket = is_string($socket) && $socket !== '' ? $socket : '/tmp/rawrelay.sock';
    try {
        if (crossSite()) {
            http_response_code(403);
            throw new InvalidArgumentException('this form only accepts posts from its own site');
        }
        $relay = new RawRelay($socket);
        $n = $relay->sendJson($id, ['message' => $text]);
        $relay->close();
        $notice = ['ok', "Delivered to $n connection(s)" . ($n === 0 ? ' (no board with this id is open)' : '')];
        $text = '';
    } catch (InvalidArgumentException | JsonException $e) {
        if (http_response_code() === 200) {
            http_response_code(400);
        }
        $notice = ['error', 'Not sent: ' . $e->getMessage()];
    } catch (RawRelayException $e) {
        http_response_code(502);
        error_log('send.php: ' . $e->getMessage());
        $notice = ['error', 'Not sent: ' . $e->getMessage()];
    }
} elseif ($method !== 'GET' && $method !== 'HEAD') {
    http_response_code(405);
    header('Allow: GET, HEAD, POST');
}

$boardHref = 'index.html' . ($id !== '' ? '?id=' . rawurlencode($id) : '');
?>
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Send to a board – RawRelay</title>
<link rel="icon" href="data:,">
<style>
  :root { color-scheme: light dark; --muted: #6b6b70; --line: #c8c8c4; --ok: #1f7a3d; --bad: #b42318; }
  @media (prefers-color-scheme: dark) { :root { --muted: #9a9aa0; --line: #3a3a40; --ok: #4ac26b; --bad: #f47067; } }
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; }
  main { max-width: 36rem; margin: 0 auto; padding: 1.5rem 1rem; }
  h1 { font-size: 1.2rem; }
  label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
  input, textarea { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
  input { font-family: ui-monospace, Menlo, Consolas, monospace; }
  button { margin-top: 1rem; padding: .5rem 1.25rem; font: inherit; border-radius: 6px; border: 1px solid var(--line); cursor: pointer; }
  .notice { padding: .6rem .9rem; border-radius: 6px; border: 1px solid currentColor; white-space: pre-wrap; overflow-wrap: anywhere; }
  .ok { color: var(--ok); }
  .error { color: var(--bad); }
  .back { margin-top: 1.5rem; color: var(--muted); }
</style>
</head>
<body>
<main>
  <h1>Send a message to a board</h1>
<?php if ($notice !== null): ?>
  <p class="notice <?= h($notice[0]) ?>" role="status"><?= h($notice[1]) ?></p>
<?php endif; ?>
  <form method="post" action="send.php" accept-charset="UTF-8">
    <label for="id">Board id</label>
    <input id="id" name="id" required maxlength="128" pattern="[!-~]{1,128}" autocomplete="off" spellcheck="false"
           placeholder="QVZS7CQWAE" value="<?= h($id) ?>" title="1 to 128 printable ASCII characters, no spaces">
    <label for="message">Message</label>
    <textarea id="message" name="message" rows="3"><?= h($text) ?></textarea>
    <button type="submit">Send</button>
  </form>
  <p class="back"><a href="<?= h($boardHref) ?>">Back to the board<?= $id !== '' ? ' ' . h($id) : '' ?></a></p>
</main>
</body>
</html>
