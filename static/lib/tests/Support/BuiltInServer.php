<?php

declare(strict_types=1);

namespace RawRelay\Tests\Support;

use RuntimeException;

/**
 * PHP's built-in web server (`php -S 127.0.0.1:<port> <router>`), started by a test as a child
 * process of its own (proc_open with an argument list, so its PID is php's) and stopped by SIGTERM
 * to that PID. Its output goes to a file next to the router's log, for failure messages.
 */
final class BuiltInServer
{
    private const START_TIMEOUT_SECONDS = 10.0;

    /** @param resource $process */
    private function __construct(private $process, public readonly int $port, public readonly string $outputFile)
    {
    }

    /**
     * Starts the server on $port with $router as its router script and $environment added to this
     * process's; waits until the port accepts connections.
     *
     * @param array<string, string> $environment
     */
    public static function start(int $port, string $router, array $environment): self
    {
        $outputFile = tempnam(sys_get_temp_dir(), 'rr-php-s-');
        $process = proc_open(
            [PHP_BINARY, '-S', "127.0.0.1:$port", $router],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $outputFile, 'a'], 2 => ['file', $outputFile, 'a']],
            $pipes,
            dirname($router),
            $environment + getenv(),
        );
        if ($process === false) {
            throw new RuntimeException('php -S could not be started');
        }
        $server = new self($process, $port, $outputFile);
        $deadline = microtime(true) + self::START_TIMEOUT_SECONDS;
        while (!$server->accepts()) {
            if (!proc_get_status($process)['running'] || microtime(true) > $deadline) {
                $output = (string) file_get_contents($outputFile);
                $server->stop();
                throw new RuntimeException("php -S on port $port did not start:\n$output");
            }
            usleep(20_000);
        }
        return $server;
    }

    /** What the server wrote so far. */
    public function output(): string
    {
        return (string) @file_get_contents($this->outputFile);
    }

    /** SIGTERM to the server's PID, then waits for it; removes its output file. */
    public function stop(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process);
            proc_close($this->process);
        }
        @unlink($this->outputFile);
    }

    private function accepts(): bool
    {
        $socket = @stream_socket_client("tcp://127.0.0.1:{$this->port}", $errno, $errstr, 1.0);
        if ($socket === false) {
            return false;
        }
        fclose($socket);
        return true;
    }
}
