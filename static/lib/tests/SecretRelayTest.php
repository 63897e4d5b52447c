<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use RawRelay\Client;
use RawRelay\Tests\Support\RelayTestCase;
use RawRelay\Tests\Support\WebSocketClient;

/** Tokens from Client::token() against a relay started with --secret. */
final class SecretRelayTest extends RelayTestCase
{
    public function testATokenCoveringTheChannelsLetsTheBrowserConnectOnThem(): void
    {
        $relay = self::securedRelay();
        $id = self::newId('signed');
        [$news, $room] = [self::newChannel('news'), self::newChannel('room')];
        $browser = $this->browser($id, [$news, $room], $relay); // the query carries Client::token($id, 300, [$news, $room])
        $client = $this->client($relay);

        self::assertSame(1, $client->publish($news, 'news item'));
        self::assertSame(1, $client->publish($room, 'room message'));
        self::assertSame('news item', $browser->receiveText());
        self::assertSame('room message', $browser->receiveText());
    }

    public function testATokenWithoutChannelsStillWorksForAPlainConnection(): void
    {
        $relay = self::securedRelay();
        $id = self::newId('plain');
        $browser = $this->browser($id, [], $relay);

        self::assertSame(1, $this->client($relay)->send($id, 'hello'));
        self::assertSame('hello', $browser->receiveText());
    }

    public function testATokenForOtherChannelsIsRefusedWith403(): void
    {
        $relay = self::securedRelay();
        $id = self::newId('forged');
        [$mine, $theirs] = [self::newChannel('mine'), self::newChannel('theirs')];
        $secret = (string) $relay->secret;
        $withToken = static function (array $tokenChannels, array $queryChannels) use ($id, $secret): string {
            $token = Client::token($id, 300, $tokenChannels, $secret);
            $query = 'id=' . rawurlencode($id);
            foreach ($queryChannels as $channel) {
                $query .= '&channel=' . $channel;
            }
            return $query . "&exp={$token['exp']}&token={$token['token']}";
        };

        self::assertSame(101, WebSocketClient::handshakeStatus($relay, $withToken([$mine], [$mine])), 'the token as minted');
        self::assertSame(403, WebSocketClient::handshakeStatus($relay, $withToken([$mine], [$theirs])), 'another channel');
        self::assertSame(403, WebSocketClient::handshakeStatus($relay, $withToken([$mine], [$mine, $theirs])), 'one more channel');
        self::assertSame(403, WebSocketClient::handshakeStatus($relay, $withToken([], [$mine])), 'a token for no channel');
        self::assertSame(403, WebSocketClient::handshakeStatus($relay, $withToken([$mine, $theirs], [$theirs, $mine])), 'another order');
        self::assertSame(403, WebSocketClient::handshakeStatus($relay, 'id=' . rawurlencode($id) . "&channel=$mine"), 'no token');
    }
}
