<?php

declare(strict_types=1);

/*
 * The demo feed's "database": each topic's recent messages in a JSON-lines file of its own,
 * <dir>/topic-<topic>.jsonl, one {"id":<n>,"text":"...","time":<unix seconds>} a line, ids counted
 * from 1 per topic. <dir> is RAWRELAY_DEMO_DATA, or rawrelay-demo in the system's temporary folder
 * (demo/data-folder.php).
 *
 * publish.php appends a message and publishes it while it holds the file's lock, so the file's order
 * is the order in which the relay got them; feed-state.php reads POSITION first and this file
 * second, so the page it feeds misses nothing (see feed-state.php).
 */

require_once __DIR__ . '/data-folder.php';

if (get_included_files()[0] === __FILE__) {
    http_response_code(404); // a part of the pages, not a page
    exit;
}

/** The store's folder or file cannot be made, opened, locked or written. */
final class FeedStoreException extends RuntimeException
{
}

final class FeedStore
{
    /** Messages a topic keeps (the file is cut back to these when it holds twice as many). */
    public const KEEP = 100;

    private function __construct(private readonly string $dir)
    {
    }

    public static function fromEnvironment(): self
    {
        return new self(demoDataFolder());
    }

    /**
     * Stores a message under the next id and calls $publish(id, time) while the topic is locked; a
     * message stored but not published (the relay is down) still shows on the next page load.
     *
     * @param string                     $topic A valid channel name (checked by the caller).
     * @param callable(int, float): int  $publish
     * @return int What $publish returned.
     * @throws JsonException for text that is not UTF-8 (nothing is stored).
     * @throws FeedStoreException when the file cannot be written.
     */
    public function append(string $topic, string $text, callable $publish): int
    {
        $file = $this->open($topic, 'c+');
        try {
            self::lock($file, LOCK_EX);
            $lines = self::lines($file);
            $last = $lines === [] ? null : json_decode($lines[count($lines) - 1], true);
            $id = is_array($last) && is_int($last['id'] ?? null) ? $last['id'] + 1 : 1;
            $time = microtime(true);
            $line = json_encode(['id' => $id, 'text' => $text, 'time' => $time], JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
            $lines[] = $line;
            if (count($lines) > 2 * self::KEEP) {
                $lines = array_slice($lines, -self::KEEP);
                ftruncate($file, 0);
                rewind($file);
                self::write($file, implode("\n", $lines) . "\n");
            } else {
                fseek($file, 0, SEEK_END);
                self::write($file, $line . "\n");
            }
            return $publish($id, $time);
        } finally {
            fclose($file); // and so unlocks
        }
    }

    /**
     * The topic's last messages, oldest first.
     *
     * @return list<array{id: int, text: string, time: float}>
     */
    public function recent(string $topic): array
    {
        if (!is_file($this->path($topic))) {
            return [];
        }
        $file = $this->open($topic, 'r');
        try {
            self::lock($file, LOCK_SH);
            $messages = [];
            foreach (array_slice(self::lines($file), -self::KEEP) as $line) {
                $m = json_decode($line, true);
                if (is_array($m) && is_int($m['id'] ?? null) && is_string($m['text'] ?? null)) {
                    $messages[] = ['id' => $m['id'], 'text' => $m['text'], 'time' => (float) ($m['time'] ?? 0)];
                }
            }
            return $messages;
        } finally {
            fclose($file);
        }
    }

    private function path(string $topic): string
    {
        return $this->dir . '/topic-' . $topic . '.jsonl'; // a channel name holds no "/"
    }

    /** @return resource */
    private function open(string $topic, string $mode)
    {
        if (!makeDemoDataFolder($this->dir)) {
            throw new FeedStoreException("cannot create {$this->dir}");
        }
        $file = @fopen($this->path($topic), $mode);
        if ($file === false) {
            throw new FeedStoreException('cannot open ' . $this->path($topic));
        }
        return $file;
    }

    /** @param resource $file */
    private static function lock($file, int $how): void
    {
        if (!flock($file, $how)) {
            throw new FeedStoreException('cannot lock the feed store');
        }
    }

    /**
     * @param resource $file
     * @return list<string>
     */
    private static function lines($file): array
    {
        rewind($file);
        $text = stream_get_contents($file);
        return $text === false || $text === '' ? [] : explode("\n", rtrim($text, "\n"));
    }

    /** @param resource $file */
    private static function write($file, string $bytes): void
    {
        if (fwrite($file, $bytes) !== strlen($bytes) || !fflush($file)) {
            throw new FeedStoreException('cannot write the feed store');
        }
    }
}
