<?php

declare(strict_types=1);

/*
 * The demo chat's database: SQLite (PDO), <dir>/chat.sqlite, <dir> as for the feed
 * (demo/data-folder.php). One table of lines, each with the webhook event it came in:
 *
 *   lines(id INTEGER PRIMARY KEY, event_id TEXT UNIQUE, room, sender, name, text, ref, time, published)
 *   refused(event_id TEXT PRIMARY KEY, time)      events answered with a refusal
 *
 * The relay delivers each event at least once, so a retried batch brings events again: event_id is
 * UNIQUE, and a line whose event is already stored is not stored or published again. post() stores
 * a line, commits, then publishes it, all under one lock (<dir>/chat.lock), so the lines' order is the
 * order the relay got them in, and every line the relay has published is committed first:
 * chat-state.php reads POSITION first, then this database, so the page it feeds has every line up to
 * that position, and gets the ones after it from the relay. A line whose publish failed (the relay's
 * control socket did not answer) stays unpublished and the failure goes up to the webhook, which
 * answers 500: the relay sends the batch again, and the line is published then.
 */

require_once __DIR__ . '/data-folder.php';
require_once __DIR__ . '/chat-line.php';

if (get_included_files()[0] === __FILE__) {
    http_response_code(404); // a part of the pages, not a page
    exit;
}

/** The chat's folder or database cannot be made or opened. */
final class ChatStoreException extends RuntimeException
{
}

final class ChatStore
{
    /** Lines a room shows; it keeps twice as many before the oldest go. */
    public const KEEP = 100;

    /** Refusals are remembered this long (the relay retries a batch within minutes, not days). */
    private const REFUSALS_KEPT_SECONDS = 86400;

    private function __construct(private readonly PDO $db, private readonly string $lockFile)
    {
    }

    /** @throws ChatStoreException|PDOException */
    public static function fromEnvironment(): self
    {
        $dir = demoDataFolder();
        if (!makeDemoDataFolder($dir)) {
            throw new ChatStoreException("cannot create $dir");
        }
        $db = new PDO('sqlite:' . $dir . '/chat.sqlite', null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 5]);
        $db->exec('PRAGMA journal_mode = WAL');   // readers (chat-state.php) never wait for the hook
        $db->exec('CREATE TABLE IF NOT EXISTS lines (
            id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, room TEXT NOT NULL, sender TEXT NOT NULL,
            name TEXT NOT NULL, text TEXT NOT NULL, ref TEXT, time REAL NOT NULL, published INTEGER NOT NULL DEFAULT 0)');
        $db->exec('CREATE INDEX IF NOT EXISTS lines_by_room ON lines (room, id)');
        $db->exec('CREATE TABLE IF NOT EXISTS refused (event_id TEXT PRIMARY KEY, time REAL NOT NULL)');
        return new self($db, $dir . '/chat.lock');
    }

    /**
     * Stores the line of event $eventId, unless it is stored already, and publishes it (once it is
     * committed) with $publish, unless that was done already; all under the chat's lock.
     *
     * @param callable(array{id: int, room: string, name: string, text: string, time: float, ref: ?string}): int $publish
     * @return bool False when the event was seen before (a retried batch): nothing stored or published again.
     * @throws PDOException|ChatStoreException, and whatever $publish throws (the line stays unpublished).
     */
    public function post(string $eventId, string $sender, ChatLine $line, float $time, callable $publish): bool
    {
        $lock = $this->lock();
        try {
            $this->db->exec('BEGIN IMMEDIATE');
            $find = $this->db->prepare('SELECT id, room, name, text, time, ref, published FROM lines WHERE event_id = ?');
            $find->execute([$eventId]);
            $stored = $find->fetch(PDO::FETCH_ASSOC);
            if ($stored === false) {
                $this->db->prepare('INSERT INTO lines (event_id, room, sender, name, text, ref, time) VALUES (?, ?, ?, ?, ?, ?, ?)')
                    ->execute([$eventId, $line->room, $sender, $line->name, $line->text, $line->ref, $time]);
                $stored = ['id' => (int) $this->db->lastInsertId(), 'room' => $line->room, 'name' => $line->name,
                    'text' => $line->text, 'time' => $time, 'ref' => $line->ref, 'published' => 0];
                $this->prune($line->room);
            }
            $this->db->exec('COMMIT');
            if ((int) $stored['published'] === 1) {
                return false;
            }
            $publish(self::shown($stored) + ['room' => (string) $stored['room'], 'ref' => $stored['ref']]);
            $this->db->prepare('UPDATE lines SET published = 1 WHERE id = ?')->execute([$stored['id']]);
            return true;
        } finally {
            if ($this->db->inTransaction()) {
                $this->db->exec('ROLLBACK');
            }
            fclose($lock); // and so unlocks
        }
    }

    /** True the first time a refusal of event $eventId is recorded, false for a retried one. */
    public function refuseOnce(string $eventId): bool
    {
        $this->db->prepare('DELETE FROM refused WHERE time < ?')->execute([microtime(true) - self::REFUSALS_KEPT_SECONDS]);
        $insert = $this->db->prepare('INSERT OR IGNORE INTO refused (event_id, time) VALUES (?, ?)');
        $insert->execute([$eventId, microtime(true)]);
        return $insert->rowCount() === 1;
    }

    /**
     * The room's last lines, oldest first.
     *
     * @return list<array{id: int, name: string, text: string, time: float}>
     */
    public function recent(string $room): array
    {
        $select = $this->db->prepare('SELECT id, name, text, time FROM lines WHERE room = ? ORDER BY id DESC LIMIT ' . self::KEEP);
        $select->execute([$room]);
        return array_reverse(array_map([self::class, 'shown'], $select->fetchAll(PDO::FETCH_ASSOC)));
    }

    /**
     * What a page gets of a stored line.
     *
     * @param array<string, mixed> $row
     * @return array{id: int, name: string, text: string, time: float}
     */
    private static function shown(array $row): array
    {
        return ['id' => (int) $row['id'], 'name' => (string) $row['name'], 'text' => (string) $row['text'], 'time' => (float) $row['time']];
    }

    /** Drops the room's oldest lines once it holds twice KEEP. */
    private function prune(string $room): void
    {
        $this->db->prepare('DELETE FROM lines WHERE room = ? AND id <= (SELECT id FROM lines WHERE room = ? ORDER BY id DESC LIMIT 1 OFFSET ?)')
            ->execute([$room, $room, 2 * self::KEEP]);
    }

    /** @return resource The chat's lock file, locked. */
    private function lock()
    {
        $file = @fopen($this->lockFile, 'c');
        if ($file !== false && flock($file, LOCK_EX)) {
            return $file;
        }
        if ($file !== false) {
            fclose($file);
        }
        throw new ChatStoreException("cannot lock {$this->lockFile}");
    }
}
