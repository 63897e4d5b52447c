<?php

declare(strict_types=1);

/*
 * PHPUnit's bootstrap: the client loaded by its plain require, as the demo pages load it (so the
 * one-file names RawRelay and RawRelayException are there too), and the tests' own classes.
 */

require __DIR__ . '/../RawRelay.php';

spl_autoload_register(static function (string $class): void {
    $prefix = 'RawRelay\\Tests\\';
    if (str_starts_with($class, $prefix)) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
