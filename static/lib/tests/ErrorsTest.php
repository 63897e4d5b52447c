<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Client;
use RawRelay\Exception\ConnectionException;
use RawRelay\Exception\ErrorReplyException;
use RawRelay\Exception\InvalidArgumentException;
use RawRelay\Exception\JsonException;
use RawRelay\Exception\RawRelayException;
use RawRelay\Exception\TimeoutException;
use RawRelay\Tests\Support\RelayTestCase;
use RawRelay\Tests\Support\WebSocketClient;

/** What the client throws when the relay says no, is not there, or does not answer. */
final class ErrorsTest extends RelayTestCase
{
    public function testAnErrReplyIsAnErrorReplyExceptionWithTheReasonAndTheConnectionStaysUsable(): void
    {
        $id = self::newId('err');
        $browser = $this->browser($id);
        $relay = $this->client();

        try {
            $relay->closeClients($id, 999);
            self::fail('closeClients() with code 999 did not throw');
        } catch (ErrorReplyException $e) {
            self::assertSame('invalid close code', $e->getReason());
            self::assertSame('invalid close code', $e->getMessage());
        }
        self::assertSame(1, $relay->send($id, 'still here'));
        self::assertSame('still here', $browser->receiveText());
    }

    public function testCloseClientsSendsACloseFrameWithTheCodeAndReason(): void
    {
        $id = self::newId('close');
        $browser = $this->browser($id);
        $relay = $this->client();

        self::assertSame(1, $relay->closeClients($id, 4000, 'bye now'));
        self::assertSame([WebSocketClient::CLOSE, pack('n', 4000) . 'bye now'], $browser->receive());
        self::assertSame(0, $relay->closeClients(self::newId('nobody')));
    }

    public function testAPayloadOverTheRelaysLimitIsRefusedAndTheNextCommandConnectsAgain(): void
    {
        $id = self::newId('too-large');
        $browser = $this->browser($id);
        $relay = $this->client();
        $maxMessage = (int) (getenv('RAWRELAY_MAX_MESSAGE') ?: 1024 * 1024);

        try {
            $relay->sendBinary($id, str_repeat('x', $maxMessage + 1));
            self::fail('a payload of --max-message + 1 bytes did not throw');
        } catch (ErrorReplyException $e) {
            self::assertSame('payload too large', $e->getReason());
        }
        self::assertSame(1, $relay->send($id, 'after the refusal'));
        self::assertSame('after the refusal', $browser->receiveText());
    }

    public function testNoRelayAtThePathIsAConnectionExceptionNamingThePath(): void
    {
        $path = '/tmp/rawrelay-missing-' . bin2hex(random_bytes(6)) . '.sock';
        $relay = new Client($path, 1.0);

        $this->expectException(ConnectionException::class);
        $this->expectExceptionMessage($path);
        try {
            $relay->send(self::newId('x'), 'x');
        } finally {
            $relay->close(); // nothing to close: no exception, no warning
        }
    }

    public function testARelayThatDoesNotAnswerIsATimeout(): void
    {
        // A socket that listens but never accepts: the command is written into its backlog, no
        // answer ever comes.
        $path = sys_get_temp_dir() . '/rawrelay-silent-' . bin2hex(random_bytes(6)) . '.sock';
        $server = stream_socket_server("unix://$path");
        self::assertNotFalse($server);
        try {
            $relay = new Client($path, 0.3);
            $started = microtime(true);
            try {
                $relay->send(self::newId('silent'), 'anyone?');
                self::fail('send() to a silent socket did not throw');
            } catch (TimeoutException $e) {
                self::assertStringContainsString('timed out', $e->getMessage());
            }
            self::assertLessThan(3.0, microtime(true) - $started, 'the timeout of 0.3 s was not kept');
        } finally {
            fclose($server);
            @unlink($path);
        }
    }

    public function testEveryExceptionTheClientThrowsIsARawRelayException(): void
    {
        foreach ([ErrorReplyException::class, ConnectionException::class, TimeoutException::class,
            InvalidArgumentException::class, JsonException::class] as $class) {
            self::assertTrue(is_subclass_of($class, RawRelayException::class), "$class is not a RawRelayException");
        }
        self::assertTrue(is_subclass_of(ErrorReplyException::class, \RuntimeException::class));
        self::assertTrue(is_subclass_of(TimeoutException::class, ConnectionException::class));
        self::assertTrue(is_subclass_of(InvalidArgumentException::class, \InvalidArgumentException::class));
        self::assertTrue(is_subclass_of(JsonException::class, \JsonException::class));
    }
}
