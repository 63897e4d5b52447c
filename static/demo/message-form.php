<?php

declare(strict_types=1);

/*
 * The demo's PHP form pages (send.php to a board, publish.php to a topic) share this: the request
 * handling (a POST delivers the message through the relay's control socket) and the page.
 *
 * Whoever can use such a page can write to any board or topic, as whoever can write to the control
 * socket can: in a real application, check who is logged in and what they may write to first.
 */

use RawRelay\Client;
use RawRelay\Exception\RawRelayException;

require_once __DIR__ . '/control-socket.php';

if (get_included_files()[0] === __FILE__) {
    http_response_code(404); // a part of the pages, not a page
    exit;
}

/**
 * Handles the request and renders the page.
 *
 * @param array{
 *     title: string,
 *     heading: string,
 *     action: string,
 *     field: string,
 *     label: string,
 *     pattern: string,
 *     maxlength: int,
 *     placeholder: string,
 *     rule: string,
 *     button: string,
 *     deliver: callable(Client, string, string): int,
 *     delivered: callable(int): string,
 *     back: callable(string): array{0: string, 1: string},
 * } $form What the page is called, its target field (`id`, `topic`) and its rule, how a message is
 *        delivered, what a delivery says, and the link back: [href, text] for a target.
 */
function messageFormPage(array $form): void
{
    header('Content-Type: text/html; charset=utf-8');
    header('X-Content-Type-Options: nosniff');
    header('Referrer-Policy: same-origin');
    header("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");

    $method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
    $target = trim(formField($method === 'POST' ? $_POST : $_GET, $form['field']));
    $text = str_replace("\r\n", "\n", formField($_POST, 'message'));
    $notice = null; // [css class, text]

    if ($method === 'POST') {
        try {
            if (crossSitePost()) {
                http_response_code(403);
                throw new InvalidArgumentException('this form only accepts posts from its own site');
            }
            $relay = new Client(controlSocketPath());
            $n = $form['deliver']($relay, $target, $text);
            $relay->close();
            $notice = ['ok', $form['delivered']($n)];
            $text = '';
        } catch (InvalidArgumentException | JsonException $e) {
            if (http_response_code() === 200) {
                http_response_code(400);
            }
            $notice = ['error', 'Not sent: ' . $e->getMessage()];
        } catch (RawRelayException $e) {
            http_response_code(502);
            error_log(basename((string) ($_SERVER['SCRIPT_NAME'] ?? 'demo')) . ': ' . $e->getMessage());
            $notice = ['error', 'Not sent: ' . $e->getMessage()];
        }
    } elseif ($method !== 'GET' && $method !== 'HEAD') {
        http_response_code(405);
        header('Allow: GET, HEAD, POST');
    }

    [$backHref, $backText] = $form['back']($target);
    $h = static fn (string $text): string => htmlspecialchars($text, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML5, 'UTF-8');
    $field = $form['field'];
    ?>
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title><?= $h($form['title']) ?> – RawRelay</title>
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
  <h1><?= $h($form['heading']) ?></h1>
<?php if ($notice !== null): ?>
  <p class="notice <?= $h($notice[0]) ?>" role="status"><?= $h($notice[1]) ?></p>
<?php endif; ?>
  <form method="post" action="<?= $h($form['action']) ?>" accept-charset="UTF-8">
    <label for="<?= $h($field) ?>"><?= $h($form['label']) ?></label>
    <input id="<?= $h($field) ?>" name="<?= $h($field) ?>" required maxlength="<?= $form['maxlength'] ?>" pattern="<?= $h($form['pattern']) ?>"
           autocomplete="off" spellcheck="false" placeholder="<?= $h($form['placeholder']) ?>" value="<?= $h($target) ?>" title="<?= $h($form['rule']) ?>">
    <label for="message">Message</label>
    <textarea id="message" name="message" rows="3"><?= $h($text) ?></textarea>
    <button type="submit"><?= $h($form['button']) ?></button>
  </form>
  <p class="back"><a href="<?= $h($backHref) ?>"><?= $h($backText) ?></a></p>
</main>
</body>
</html>
<?php
}

/** A string form or query field, or '' when it is missing or not a string (e.g. id[]=x). */
function formField(array $source, string $name): string
{
    $value = $source[$name] ?? '';
    return is_string($value) ? $value : '';
}

/** True when a browser says the form was posted from another site (a cross-site request). */
function crossSitePost(): bool
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
