<?php
// The app's auth endpoint, as Laravel's /broadcasting/auth answers pusher-js: it signs
// "<socket_id>:<channel>" (and ":<channel_data>" for a presence channel) with the app's secret.
// The user is ?user=<name> (a test stands in for the session); private-forbidden is refused, as an app would.
const APP_KEY = 'key1';
const APP_SECRET = 'secret1';

header('Content-Type: application/json');
$socket = $_POST['socket_id'] ?? '';
$channel = $_POST['channel_name'] ?? '';
$user = $_GET['user'] ?? 'ann';
if (!preg_match('/^\d+\.\d+$/', $socket) || $channel === '' || $channel === 'private-forbidden') {
    http_response_code(403);
    echo json_encode(['message' => 'forbidden']);
    exit;
}
if (str_starts_with($channel, 'presence-')) {
    $data = json_encode(['user_id' => $user, 'user_info' => ['name' => ucfirst($user)]]);
    echo json_encode(['auth' => APP_KEY . ':' . hash_hmac('sha256', "$socket:$channel:$data", APP_SECRET), 'channel_data' => $data]);
} else {
    echo json_encode(['auth' => APP_KEY . ':' . hash_hmac('sha256', "$socket:$channel", APP_SECRET)]);
}
