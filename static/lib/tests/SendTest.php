<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Tests\Support\RelayTestCase;

/** send(), sendJson() and sendBinary(): what a browser of the id receives. */
final class SendTest extends RelayTestCase
{
    public function testSendDeliversTextAsItIs(): void
    {
        $id = self::newId('plain');
        $browser = $this->browser($id);
        $text = 'hello  wörld ✓ <b>&amp; "x" ';

        self::assertSame(1, $this->client()->send($id, $text));
        self::assertSame($text, $browser->receiveText());
    }

    public function testSendJsonEncodesUnescapedUnicodeAndSlashes(): void
    {
        $id = self::newId('json');
        $browser = $this->browser($id);

        self::assertSame(1, $this->client()->sendJson($id, ['message' => 'Grüße / "quoted"', 'n' => 3]));
        self::assertSame('{"message":"Grüße / \"quoted\"","n":3}', $browser->receiveText());
    }

    public function testTextWithLineBreaksGoesLengthPrefixedAndArrivesIntact(): void
    {
        $id = self::newId('newline');
        $browser = $this->browser($id);
        $relay = $this->client();
        foreach (["a\nb", "line1\r\nline2\n", "ends with CR\r", "\n"] as $text) {
            self::assertSame(1, $relay->send($id, $text));
            self::assertSame($text, $browser->receiveText());
        }
        // Still in step: had "a\nb" gone as one SEND MESSAGE line, "b" would have been a command
        // of its own and its ERR would be read here.
        self::assertSame(1, $relay->send($id, 'after'));
        self::assertSame('after', $browser->receiveText());
    }

    public function testSendBinaryDeliversEveryByteValue(): void
    {
        $id = self::newId('binary');
        $browser = $this->browser($id);
        $bytes = implode('', array_map('chr', range(0, 255)));

        self::assertSame(1, $this->client()->sendBinary($id, $bytes));
        self::assertSame(bin2hex($bytes), bin2hex($browser->receiveBinary()));
    }

    public function testLargeMessagesArriveWhole(): void
    {
        $id = self::newId('large');
        $browser = $this->browser($id);
        $relay = $this->client();
        $bytes = random_bytes(100_000); // the 64-bit length form, written in several parts

        self::assertSame(1, $relay->sendBinary($id, $bytes));
        self::assertTrue($browser->receiveBinary() === $bytes, 'the bytes received differ from the bytes sent');

        $text = str_repeat("0123456789abcdef\n", 4000); // 68 000 bytes of text with LFs
        self::assertSame(1, $relay->send($id, $text));
        self::assertTrue($browser->receiveText() === $text, 'the text received differs from the text sent');
    }

    public function testEmptyMessagesAreMessagesToo(): void
    {
        $id = self::newId('empty');
        $browser = $this->browser($id);
        $relay = $this->client();

        self::assertSame(1, $relay->send($id, ''));
        self::assertSame('', $browser->receiveText());
        self::assertSame(1, $relay->sendBinary($id, ''));
        self::assertSame('', $browser->receiveBinary());
    }

    public function testSendReachesEveryTabOfTheId(): void
    {
        $id = self::newId('tabs');
        $tab1 = $this->browser($id);
        $tab2 = $this->browser($id);

        self::assertSame(2, $this->client()->send($id, 'to both'));
        self::assertSame('to both', $tab1->receiveText());
        self::assertSame('to both', $tab2->receiveText());
    }

    public function testSendToAnIdWithNoConnectionReturnsZero(): void
    {
        $relay = $this->client();
        $id = self::newId('nobody');

        self::assertSame(0, $relay->send($id, 'anyone?'));
        self::assertSame(0, $relay->send($id, "any\none?"));
        self::assertSame(0, $relay->sendJson($id, ['message' => 'anyone?']));
        self::assertSame(0, $relay->sendBinary($id, "\x01\x02"));
    }

    public function testTheLongestAndOddestIdsReachTheRelay(): void
    {
        $relay = $this->client();
        self::assertSame(0, $relay->send(substr(self::newId('max') . str_repeat('x', 128), 0, 128), 'x'));

        $odd = '!~%20&?=#' . bin2hex(random_bytes(4));
        $browser = $this->browserWithQuery('id=' . rawurlencode($odd));
        self::assertSame(1, $relay->send($odd, 'odd'));
        self::assertSame('odd', $browser->receiveText());
    }
}
