<?php

declare(strict_types=1);

namespace RawRelay\Tests;

use PHPUnit\Framework\TestCase;
use RawRelay\Client;
use RawRelay\Exception\InvalidArgumentException;
use RawRelay\Token;

/** Client::token() (Token::mint()): the HMAC the relay checks, with and without channels. No relay needed. */
final class TokenTest extends TestCase
{
    private ?string $savedSecret = null;

    protected function setUp(): void
    {
        $saved = getenv('RAWRELAY_SECRET');
        $this->savedSecret = $saved === false ? null : $saved;
    }

    protected function tearDown(): void
    {
        putenv($this->savedSecret === null ? 'RAWRELAY_SECRET' : "RAWRELAY_SECRET={$this->savedSecret}");
    }

    public function testWithoutChannelsTheTokenSignsIdColonExp(): void
    {
        $before = time();
        $token = Client::token('u42', 300, [], 'test-secret');

        self::assertSame(['exp', 'token'], array_keys($token));
        self::assertGreaterThanOrEqual($before + 300, $token['exp']);
        self::assertLessThanOrEqual(time() + 300, $token['exp']);
        self::assertSame(hash_hmac('sha256', "u42:{$token['exp']}", 'test-secret'), $token['token']);
        self::assertMatchesRegularExpression('/^[0-9a-f]{64}$/', $token['token']);
    }

    public function testWithChannelsTheTokenSignsEachOneAfterASpaceInOrder(): void
    {
        $token = Client::token('u42', 60, ['news', 'room-7'], 'test-secret');

        self::assertSame(hash_hmac('sha256', "u42:{$token['exp']} news room-7", 'test-secret'), $token['token']);
        self::assertSame('u42:1767225600 news room-7', Token::signedText('u42', 1767225600, ['news', 'room-7']));
        self::assertSame('u42:1767225600', Token::signedText('u42', 1767225600));
    }

    public function testTheSecretComesFromRawrelaySecretWhenNoneIsPassed(): void
    {
        putenv('RAWRELAY_SECRET=from-the-environment');
        $before = time();
        $token = Client::token('u42');

        self::assertGreaterThanOrEqual($before + 3600, $token['exp'], 'the default lifetime is an hour');
        self::assertSame(hash_hmac('sha256', "u42:{$token['exp']}", 'from-the-environment'), $token['token']);
    }

    public function testNoSecretAtAllIsRefused(): void
    {
        foreach (['RAWRELAY_SECRET', 'RAWRELAY_SECRET='] as $setting) {
            putenv($setting);
            try {
                Client::token('u42');
                self::fail("token() minted with $setting");
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString('RAWRELAY_SECRET', $e->getMessage());
            }
        }
    }

    public function testALifetimeBelowOneSecondIsRefused(): void
    {
        $this->expectException(InvalidArgumentException::class);
        Client::token('u42', 0, [], 's');
    }

    public function testTheOneFileClientsFormTakesTheSecretThird(): void
    {
        $token = \RawRelay::token('u42', 300, 'test-secret');

        self::assertSame(hash_hmac('sha256', "u42:{$token['exp']}", 'test-secret'), $token['token']);
        $this->expectException(InvalidArgumentException::class);
        Client::token('u42', 300, 'a-secret', 'another-secret');
    }
}
