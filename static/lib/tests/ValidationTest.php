<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Client;
use RawRelay\Exception\InvalidArgumentException;
use RawRelay\Exception\JsonException;
use RawRelay\Tests\Support\RelayTestCase;

/**
 * Arguments the relay would refuse are refused before anything is sent. The clients here have no
 * relay at their path, so a check made after connecting would show as a ConnectionException.
 */
final class ValidationTest extends RelayTestCase
{
    private const BAD_IDS = ['', 'has space', "tab\there", "nl\n", "cr\r", 'é', "del\x7f", "nul\x00"];

    private const BAD_CHANNELS = ['', 'has space', 'slash/x', 'colon:x', '#id', '*', 'é', "nl\n", "nul\x00", 'plus+x'];

    public function testBadIdsAreRefusedByEveryMethodThatTakesOne(): void
    {
        $relay = self::clientWithoutRelay();
        foreach ([...self::BAD_IDS, str_repeat('a', 129)] as $id) {
            $shown = self::show($id);
            $this->assertRefused(fn () => $relay->send($id, 'x'), "send() with id $shown");
            $this->assertRefused(fn () => $relay->sendJson($id, ['message' => 'x']), "sendJson() with id $shown");
            $this->assertRefused(fn () => $relay->sendBinary($id, 'x'), "sendBinary() with id $shown");
            $this->assertRefused(fn () => $relay->closeClients($id), "closeClients() with id $shown");
            $this->assertRefused(fn () => $relay->subscribe($id, 'news'), "subscribe() with id $shown");
            $this->assertRefused(fn () => $relay->unsubscribe($id, 'news'), "unsubscribe() with id $shown");
            $this->assertRefused(fn () => $relay->channels($id), "channels() with id $shown");
            $this->assertRefused(fn () => Client::token($id, 60, [], 's'), "token() with id $shown");
        }
    }

    public function testBadChannelNamesAreRefusedByEveryMethodThatTakesOne(): void
    {
        $relay = self::clientWithoutRelay();
        foreach ([...self::BAD_CHANNELS, str_repeat('c', 201)] as $channel) {
            $shown = self::show($channel);
            $this->assertRefused(fn () => $relay->publish($channel, 'x'), "publish() to $shown");
            $this->assertRefused(fn () => $relay->publishJson($channel, ['message' => 'x']), "publishJson() to $shown");
            $this->assertRefused(fn () => $relay->publishBinary($channel, 'x'), "publishBinary() to $shown");
            $this->assertRefused(fn () => $relay->subscribe('u1', $channel), "subscribe() to $shown");
            $this->assertRefused(fn () => $relay->unsubscribe('u1', $channel), "unsubscribe() from $shown");
            $this->assertRefused(fn () => $relay->list($channel), "list() of $shown");
            $this->assertRefused(fn () => Client::token('u1', 60, ['news', $channel], 's'), "token() for $shown");
        }
        $this->assertRefused(fn () => Client::token('u1', 60, [42], 's'), 'token() for a channel that is not a string');
    }

    public function testTheWidestValidNamesReachTheRelay(): void
    {
        $relay = $this->client();
        $id = self::newId('wide');
        $longest = substr(self::newChannel('long') . str_repeat('c', 200), 0, 200);
        $punctuation = self::newChannel('A-Za-z0-9_-=@,.;');
        $browser = $this->browser($id, [$longest]); // asked for when it connects

        self::assertSame(1, $relay->publish($longest, 'to the longest'));
        self::assertSame('to the longest', $browser->receiveText());
        self::assertSame(1, $relay->subscribe($id, $punctuation));
        self::assertSame(1, $relay->publish($punctuation, 'to the punctuation'));
        self::assertSame('to the punctuation', $browser->receiveText());
    }

    public function testTextThatIsNotUtf8IsRefused(): void
    {
        $relay = self::clientWithoutRelay();
        foreach (["\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "multi\nline\xfe"] as $text) {
            $what = bin2hex($text);
            $this->assertRefused(fn () => $relay->send('u1', $text), "send() of $what");
            $this->assertRefused(fn () => $relay->broadcast($text), "broadcast() of $what");
            $this->assertRefused(fn () => $relay->publish('news', $text), "publish() of $what");
        }
    }

    public function testValuesJsonCannotEncodeAreJsonExceptions(): void
    {
        $relay = self::clientWithoutRelay();
        foreach ([fn () => $relay->sendJson('u1', ['message' => "\xff"]), fn () => $relay->publishJson('news', "\xff")] as $action) {
            try {
                $action();
                self::fail('bytes that are not UTF-8 were encoded as JSON');
            } catch (JsonException $e) {
                self::assertInstanceOf(\JsonException::class, $e);
                self::assertInstanceOf(\JsonException::class, $e->getPrevious());
            }
        }
    }

    public function testBadCloseReasonsAndConstructorArgumentsAreRefused(): void
    {
        $relay = self::clientWithoutRelay();
        $this->assertRefused(fn () => $relay->closeClients('u1', 1000, "two\nlines"), 'reason with LF');
        $this->assertRefused(fn () => $relay->closeClients('u1', 1000, str_repeat('r', 124)), 'reason of 124 bytes');
        $this->assertRefused(fn () => $relay->closeClients('u1', 1000, "\xff"), 'reason that is not UTF-8');
        $this->assertRefused(fn () => new Client(''), 'an empty socket path');
        $this->assertRefused(fn () => new Client('/tmp/x.sock', 0.0), 'a timeout of 0');
    }

    /** A name as JSON, so a failure message holds no control characters. */
    private static function show(string $text): string
    {
        return json_encode($text, JSON_INVALID_UTF8_SUBSTITUTE | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    }

    private function assertRefused(callable $action, string $what): void
    {
        try {
            $action();
        } catch (InvalidArgumentException $e) {
            self::assertInstanceOf(\InvalidArgumentException::class, $e);
            return;
        } catch (\Throwable $e) {
            self::fail("$what: expected InvalidArgumentException, got " . get_class($e) . ': ' . $e->getMessage());
        }
        self::fail("$what: nothing was thrown");
    }
}
