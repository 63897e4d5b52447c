<?php
// The app's user authentication endpoint for pusher:signin: signs "<socket_id>::user::<user_data>".
const APP_KEY = 'key1';
const APP_SECRET = 'secret1';

header('Content-Type: application/json');
$socket = $_POST['socket_id'] ?? '';
$user = $_GET['user'] ?? 'ann';
$data = json_encode(['id' => $user, 'name' => ucfirst($user)]);
echo json_encode(['auth' => APP_KEY . ':' . hash_hmac('sha256', "$socket::user::$data", APP_SECRET), 'user_data' => $data]);
