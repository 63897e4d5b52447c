<?php

declare(strict_types=1);

/*
 * The demo chat's rules: its rooms, and what a browser must send to say something in one.
 *
 * A chat page (chat.html) is on the channel "chat.<room>" and sends, over its WebSocket, a text
 * message that is one JSON object:
 *
 *   {"room": "lobby", "name": "Ada", "text": "Hello <b>all</b>", "ref": "K3F9XQ2M7A1B"}
 *
 *   room  one of the demo's rooms (RAWRELAY_CHAT_ROOMS, comma-separated; default "lobby,help")
 *   name  what the person calls themselves: 1 to 40 characters, no control characters
 *   text  1 to 500 characters (after CR LF becomes LF and the ends are trimmed); LF and tab allowed,
 *         other control characters not
 *   ref   optional, 1 to 32 letters and digits: the page's own name for the line, given back with
 *         the line when it is published and with a refusal, so the page knows which one it was
 *
 * The relay hands the message to chat-hook.php as a webhook event, with the connection's id (the
 * page's id, "chat-..."), which is the sender as far as the relay knows. Nothing here is trusted: the
 * text is stored as it came and shown as text, never as HTML, by every page. A name is only what
 * the person typed; a real application takes the sender from its session instead (the page's id
 * minted for the logged-in user, with a token under --secret) and checks that they may write to
 * the room.
 */

if (get_included_files()[0] === __FILE__) {
    http_response_code(404); // a part of the pages, not a page
    exit;
}

/** The demo's rooms; each is the relay channel "chat.<room>". */
final class ChatRooms
{
    /** A room's name: what may follow "chat." in a channel name, and read well in a URL. */
    private const NAME_PATTERN = '/^[a-z0-9][a-z0-9-]{0,31}$/D';

    /** @param list<string> $names */
    private function __construct(private readonly array $names)
    {
    }

    /** RAWRELAY_CHAT_ROOMS (comma-separated room names), or lobby and help. */
    public static function fromEnvironment(): self
    {
        $listed = getenv('RAWRELAY_CHAT_ROOMS');
        $names = array_values(array_filter(array_map('trim', explode(',', is_string($listed) ? $listed : '')),
            static fn (string $name): bool => preg_match(self::NAME_PATTERN, $name) === 1));
        return new self($names === [] ? ['lobby', 'help'] : array_values(array_unique($names)));
    }

    /** @return list<string> */
    public function names(): array
    {
        return $this->names;
    }

    public function has(mixed $room): bool
    {
        return is_string($room) && in_array($room, $this->names, true);
    }

    /** The room's channel on the relay. */
    public static function channel(string $room): string
    {
        return 'chat.' . $room;
    }
}

/** A line a browser sent to be refused, with what to tell its sender. */
final class ChatLineRefused extends RuntimeException
{
    public function __construct(string $reason, public readonly ?string $room, public readonly ?string $ref)
    {
        parent::__construct($reason);
    }
}

/** A line as the chat takes it: checked, and its text normalised. Immutable. */
final class ChatLine
{
    public const MAX_TEXT = 500;
    public const MAX_NAME = 40;

    private function __construct(
        public readonly string $room,
        public readonly string $name,
        public readonly string $text,
        public readonly ?string $ref,
    ) {
    }

    /**
     * The line a text message holds, or null when the message is not meant for the chat (not a JSON
     * object with a "room"): other pages of the site may send other things.
     *
     * @throws ChatLineRefused when it is meant for the chat but breaks a rule.
     */
    public static function fromMessage(string $data, ChatRooms $rooms): ?self
    {
        $line = json_decode($data, false, 4);
        if (!$line instanceof stdClass || !property_exists($line, 'room')) {
            return null;
        }
        $ref = is_string($line->ref ?? null) && preg_match('/^[A-Za-z0-9]{1,32}$/D', $line->ref) === 1 ? $line->ref : null;
        if (!$rooms->has($line->room)) {
            throw new ChatLineRefused('There is no such room here.', null, $ref);
        }
        $room = $line->room;
        $name = is_string($line->name ?? null) ? trim($line->name) : '';
        if ($name === '' || self::length($name) > self::MAX_NAME || preg_match('/\p{Cc}/u', $name) === 1) {
            throw new ChatLineRefused('A name is 1 to ' . self::MAX_NAME . ' characters, on one line.', $room, $ref);
        }
        $text = is_string($line->text ?? null) ? trim(str_replace("\r\n", "\n", $line->text)) : '';
        if ($text === '') {
            throw new ChatLineRefused('An empty line is not posted.', $room, $ref);
        }
        if (($length = self::length($text)) > self::MAX_TEXT) {
            throw new ChatLineRefused('A line is at most ' . self::MAX_TEXT . " characters; this one has $length.", $room, $ref);
        }
        if (preg_match('/[^\P{Cc}\n\t]/u', $text) === 1) {
            throw new ChatLineRefused('A line holds no control characters but line breaks and tabs.', $room, $ref);
        }
        return new self($room, $name, $text, $ref);
    }

    /** Characters (Unicode code points) of UTF-8 text, as the page counts them (Array.from(text).length). */
    private static function length(string $text): int
    {
        return (int) preg_match_all('/./su', $text);
    }
}
