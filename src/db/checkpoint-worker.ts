/**
 * The checkpointer's thread (see checkpointer.ts): its own connection to the database file, a
 * PASSIVE checkpoint every `intervalMs`, never waiting for a lock. Messages: `{type: 'start', path,
 * intervalMs}` and `{type: 'stop'}`, answered by `'stopped'` once the connection is closed.
 */
import { DatabaseSync } from 'node:sqlite';

declare const self: {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
};

let db: DatabaseSync | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;

function checkpoint(intervalMs: number): void {
  try {
    db?.exec('PRAGMA wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another process is checkpointing) or closing: the next round tries again.
  }
  timer = setTimeout(() => checkpoint(intervalMs), intervalMs);
}

self.onmessage = (event: MessageEvent) => {
  const message = event.data as { type: 'start'; path: string; intervalMs: number } | { type: 'stop' };
  if (message.type === 'start') {
    db = new DatabaseSync(message.path);
    db.exec('PRAGMA busy_timeout = 0');
    checkpoint(message.intervalMs);
    return;
  }
  clearTimeout(timer);
  try {
    db?.close();
  } catch {
    // already closed
  }
  db = undefined;
  self.postMessage('stopped');
  self.close();
};
