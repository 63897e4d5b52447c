<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Exception\ErrorReplyException;
use RawRelay\Tests\Support\RelayEndpoint;
use RawRelay\Tests\Support\RelayTestCase;

/**
 * subscribe(), unsubscribe(), publish*(), channels(), listChannels() and list($channel).
 *
 * That a browser did not get a message is checked by order, never by waiting: messages from one
 * control connection reach a browser in command order, so after a publish that must not reach it,
 * a SEND to its id is the next thing it receives.
 */
final class ChannelsTest extends RelayTestCase
{
    public function testAnIdSubscribedBeforeItsBrowserConnectsReceivesWhatIsPublished(): void
    {
        $id = self::newId('early');
        $channel = self::newChannel('article');
        $relay = $this->client();

        self::assertSame(0, $relay->subscribe($id, $channel), 'no connection of the id is open yet');
        $browser = $this->browser($id);

        self::assertSame(1, $relay->publish($channel, 'New comment'));
        self::assertSame('New comment', $browser->receiveText());
    }

    public function testSubscribePutsEveryOpenTabOfTheIdOnTheChannel(): void
    {
        $id = self::newId('tabs');
        $channel = self::newChannel('room');
        [$tab1, $tab2] = [$this->browser($id), $this->browser($id)];
        $relay = $this->client();

        self::assertSame(2, $relay->subscribe($id, $channel));
        self::assertSame(2, $relay->subscribe($id, $channel), 'subscribing again changes nothing');

        self::assertSame(2, $relay->publish($channel, 'to both tabs'));
        self::assertSame('to both tabs', $tab1->receiveText());
        self::assertSame('to both tabs', $tab2->receiveText());
    }

    public function testPublishReachesTheChannelAndNoOneElse(): void
    {
        $channel = self::newChannel('orders');
        $reader = $this->browser(self::newId('reader'), [$channel]); // asked for when it connects
        $outsiderId = self::newId('outsider');
        $outsider = $this->browser($outsiderId);
        $relay = $this->client();

        self::assertSame(1, $relay->publish($channel, 'order 1042 shipped'));
        self::assertSame(1, $relay->send($outsiderId, 'only this'));

        self::assertSame('order 1042 shipped', $reader->receiveText());
        self::assertSame('only this', $outsider->receiveText());
    }

    public function testPublishSendsTextJsonLinesAndBytesIntact(): void
    {
        $channel = self::newChannel('forms');
        $browser = $this->browser(self::newId('forms'), [$channel]);
        $relay = $this->client();
        $bytes = implode('', array_map('chr', range(0, 255)));

        self::assertSame(1, $relay->publish($channel, 'plain <b>text</b> ✓'));
        self::assertSame(1, $relay->publish($channel, "two\r\nlines\n"));
        self::assertSame(1, $relay->publish($channel, ''));
        self::assertSame(1, $relay->publishJson($channel, ['message' => 'Grüße / "x"']));
        self::assertSame(1, $relay->publishBinary($channel, $bytes));
        self::assertSame(1, $relay->publishBinary($channel, ''));

        self::assertSame('plain <b>text</b> ✓', $browser->receiveText());
        self::assertSame("two\r\nlines\n", $browser->receiveText());
        self::assertSame('', $browser->receiveText());
        self::assertSame('{"message":"Grüße / \"x\""}', $browser->receiveText());
        self::assertSame(bin2hex($bytes), bin2hex($browser->receiveBinary()));
        self::assertSame('', $browser->receiveBinary());
    }

    public function testPublishToAChannelNobodyIsOnReturnsZero(): void
    {
        $channel = self::newChannel('empty');
        $relay = $this->client();

        self::assertSame(0, $relay->publish($channel, 'anyone?'));
        self::assertSame(0, $relay->publish($channel, "any\none?"));
        self::assertSame(0, $relay->publishBinary($channel, "\x00"));
    }

    public function testUnsubscribeTakesTheIdOffTheChannel(): void
    {
        $id = self::newId('leaver');
        $subscribed = self::newChannel('subscribed');
        $askedFor = self::newChannel('asked');
        $browser = $this->browser($id, [$askedFor]);
        $relay = $this->client();
        self::assertSame(1, $relay->subscribe($id, $subscribed));

        self::assertSame(1, $relay->unsubscribe($id, $subscribed));
        self::assertSame(1, $relay->unsubscribe($id, $askedFor), 'also a channel asked for at connect time');
        self::assertSame(0, $relay->unsubscribe($id, $subscribed), 'nothing left to leave');

        self::assertSame(0, $relay->publish($subscribed, 'not for you'));
        self::assertSame(0, $relay->publish($askedFor, 'not for you either'));
        self::assertSame([], $relay->channels($id));
        self::assertSame(1, $relay->send($id, 'marker'));
        self::assertSame('marker', $browser->receiveText(), 'the publishes did not reach the browser');
    }

    public function testChannelsListsTheSubscriptionsAndTheChannelsAskedForAtConnectTime(): void
    {
        $id = self::newId('mine');
        [$a, $b, $c] = [self::newChannel('a'), self::newChannel('b'), self::newChannel('c')];
        $relay = $this->client();
        self::assertSame(0, $relay->subscribe($id, $a));
        self::assertSame(0, $relay->subscribe($id, $b));
        $this->browser($id, [$c]);

        $channels = $relay->channels($id);
        sort($channels);
        $expected = [$a, $b, $c];
        sort($expected);

        self::assertSame($expected, $channels);
        self::assertSame([], $relay->channels(self::newId('nobody')));
    }

    public function testListChannelsCountsTheConnectionsOnEachChannel(): void
    {
        $id = self::newId('counted');
        [$busy, $waiting] = [self::newChannel('busy'), self::newChannel('waiting')];
        $this->browser($id, [$busy]);
        $this->browser(self::newId('other'), [$busy]);
        $relay = $this->client();
        self::assertSame(0, $relay->subscribe(self::newId('later'), $waiting));

        $channels = $relay->listChannels();

        self::assertSame(2, $channels[$busy] ?? null);
        self::assertSame(0, $channels[$waiting] ?? null, 'a channel with a subscribed id and no connection');
        $names = array_map('strval', array_keys($channels));
        $sorted = $names;
        sort($sorted, SORT_STRING);
        self::assertSame($sorted, $names, 'in byte order');
    }

    public function testListOfAChannelShowsOnlyTheConnectionsOnIt(): void
    {
        $channel = self::newChannel('listed');
        $idOn = self::newId('on');
        $on = $this->browser($idOn, [$channel]);
        $this->browser(self::newId('off'));

        self::assertSame([['id' => $idOn, 'address' => $on->localAddress()]], $this->client()->list($channel));
        self::assertSame([], $this->client()->list(self::newChannel('nobody')));
    }

    public function testPastMaxChannelsSubscribeThrowsTooManyChannels(): void
    {
        $id = self::newId('greedy');
        $relay = $this->client();
        $max = RelayEndpoint::maxChannels();
        for ($i = 0; $i < $max; $i++) {
            $relay->subscribe($id, "greedy-$i-" . bin2hex(random_bytes(3)));
        }

        try {
            $relay->subscribe($id, self::newChannel('one-too-many'));
            self::fail("subscribe() past --max-channels ($max) did not throw");
        } catch (ErrorReplyException $e) {
            self::assertSame('too many channels', $e->getReason());
        }
        self::assertCount($max, $relay->channels($id), 'the connection stays usable, the id keeps its channels');
    }

    public function testABrowserOnAChannelAndItsIdGetsBothStreamsInOrder(): void
    {
        $id = self::newId('both');
        $channel = self::newChannel('both');
        $browser = $this->browser($id, [$channel]);
        $relay = $this->client();

        self::assertSame(1, $relay->publish($channel, 'first'));
        self::assertSame(1, $relay->send($id, 'second'));
        self::assertSame(1, $relay->publish($channel, 'third'));

        self::assertSame(['first', 'second', 'third'],
            [$browser->receiveText(), $browser->receiveText(), $browser->receiveText()]);
    }
}
