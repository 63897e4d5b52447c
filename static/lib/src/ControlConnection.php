<?php

declare(strict_types=1);

namespace RawRelay;

use RawRelay\Exception\ConnectionException;
use RawRelay\Exception\ErrorReplyException;
use RawRelay\Exception\TimeoutException;
use Throwable;

/**
 * One connection to the relay's control socket: opened on the first write, reused for every later
 * command, dropped (and opened again by the next command) when an exchange fails.
 *
 * @internal Used by Client; not part of the package's API.
 */
final class ControlConnection
{
    /** @var resource|null */
    private $stream = null;

    public function __construct(
        private readonly string $socketPath,
        private readonly float $timeoutSeconds,
    ) {
    }

    /**
     * Writes all of $bytes, looping over partial writes.
     *
     * @throws TimeoutException when the relay stops taking bytes.
     * @throws ErrorReplyException when the relay refused the command and closed the connection
     *         (`ERR payload too large`) while it was being written.
     * @throws ConnectionException when the socket cannot be reached or the connection breaks.
     */
    public function write(string $bytes): void
    {
        $reused = $this->stream !== null;
        $stream = $this->open();
        $length = strlen($bytes);
        $done = 0;
        while ($done < $length) {
            $written = @fwrite($stream, $done === 0 ? $bytes : substr($bytes, $done));
            if ($written !== false && $written > 0) {
                $done += $written;
                continue;
            }
            $timedOut = self::timedOut($stream);
            $reason = $timedOut ? null : self::errReasonBeforeClose($stream);
            $this->drop();
            if ($reused && $done === 0 && !$timedOut && $reason === null) {
                // The relay closed a connection kept from an earlier command (it restarted, say)
                // and nothing of this command went out: open a new connection and try once more.
                $reused = false;
                $stream = $this->open();
                continue;
            }
            if ($reason !== null) {
                throw new ErrorReplyException($reason);
            }
            throw $timedOut
                ? new TimeoutException('timed out writing to relay')
                : new ConnectionException('connection to relay lost while writing');
        }
    }

    /**
     * Reads one reply line, without its LF (and a CR before it).
     *
     * @throws TimeoutException when no whole line comes within the timeout.
     * @throws ConnectionException when the relay closes the connection.
     */
    public function readLine(): string
    {
        $stream = $this->open();
        $line = fgets($stream);
        if ($line === false || !str_ends_with($line, "\n")) {
            // No line, or only part of one: the timeout struck or the relay closed the connection.
            $timedOut = self::timedOut($stream);
            $this->drop();
            throw $timedOut
                ? new TimeoutException('timed out waiting for the relay to answer')
                : new ConnectionException('relay closed the control connection');
        }
        return rtrim(substr($line, 0, -1), "\r");
    }

    /** Sends QUIT, waits for its answer and closes; never throws. */
    public function quit(): void
    {
        if ($this->stream === null) {
            return;
        }
        try {
            $this->write("QUIT\n");
            $this->readLine(); // "OK bye"; anything else changes nothing, we close either way
        } catch (Throwable) {
            // The relay went away or did not answer; closing the socket is all that is left.
        }
        $this->drop();
    }

    /** Closes the socket without QUIT, after a failure left the exchange out of step. */
    public function drop(): void
    {
        if ($this->stream !== null && is_resource($this->stream)) {
            fclose($this->stream);
        }
        $this->stream = null;
    }

    /**
     * @return resource
     * @throws ConnectionException when the socket cannot be reached.
     */
    private function open()
    {
        if ($this->stream !== null) {
            return $this->stream;
        }
        $errno = 0;
        $errstr = '';
        $stream = @stream_socket_client(
            'unix://' . $this->socketPath,
            $errno,
            $errstr,
            $this->timeoutSeconds,
            STREAM_CLIENT_CONNECT,
        );
        if ($stream === false) {
            $detail = $errstr !== '' ? $errstr : (error_get_last()['message'] ?? 'unknown error');
            throw new ConnectionException("cannot connect to relay at {$this->socketPath}: $detail");
        }
        $seconds = (int) floor($this->timeoutSeconds);
        $micro = (int) round(($this->timeoutSeconds - $seconds) * 1_000_000);
        stream_set_timeout($stream, $seconds, $micro);
        stream_set_write_buffer($stream, 0);
        $this->stream = $stream;
        return $stream;
    }

    /** @param resource $stream */
    private static function timedOut($stream): bool
    {
        return (bool) (stream_get_meta_data($stream)['timed_out'] ?? false);
    }

    /**
     * After a failed write, the reason of an `ERR` the relay may have sent before closing, read
     * without waiting long; null when it said nothing.
     *
     * @param resource $stream
     */
    private static function errReasonBeforeClose($stream): ?string
    {
        stream_set_timeout($stream, 0, 200_000);
        $line = @fgets($stream);
        if (is_string($line) && str_starts_with($line, 'ERR ')) {
            return rtrim(substr($line, 4), "\r\n");
        }
        return null;
    }
}
