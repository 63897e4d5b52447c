<?php

declare(strict_types=1);

/*
 * The RawRelay PHP client for pages without Composer: require this one file.
 *
 *     require __DIR__ . '/lib/RawRelay.php';
 *     $relay = new RawRelay\Client('/tmp/rawrelay.sock');
 *     $relay->publish('orders', 'Order 1042 shipped');
 *
 * It loads the classes of src/ (namespace RawRelay\) on first use, as Composer's autoloader does for
 * projects that install the package (composer.json, next to this file). The one-file client's
 * global names stay: RawRelay is RawRelay\Client and RawRelayException is
 * RawRelay\Exception\RawRelayException, so older pages run unchanged.
 */

if (class_exists('RawRelay', false)) {
    return; // required before (or defined by the application): nothing more to do
}

spl_autoload_register(static function (string $class): void {
    if (!str_starts_with($class, 'RawRelay\\')) {
        return;
    }
    $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen('RawRelay\\'))) . '.php';
    if (is_file($file)) {
        require $file;
    }
});

class_alias(RawRelay\Client::class, 'RawRelay');
class_alias(RawRelay\Exception\RawRelayException::class, 'RawRelayException');
