/**
 * The checkpointer's thread (see checkpointer.ts): its own connection to the database file, a
 * PASSIVE checkpoint every `intervalMs`, never waiting for a lock. Starts from `workerData`
 * (`{path, intervalMs}`); the message `'stop'` closes the connection and is answered `'stopped'`.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
let db: DatabaseSync | undefined = new DatabaseSync(path);
db.exec('PRAGMA busy_timeout = 0');
let timer: ReturnType<typeof setTimeout> | undefined;

function checkpoint(): void {
  try {
    db?.exec('PRAGMA wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another process is checkpointing) or closing: the next round tries again.
  }
  timer = setTimeout(checkpoint, intervalMs);
}
checkpoint();

parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  clearTimeout(timer);
  try {
    db?.close();
  } catch {
    // already closed
  }
  db = undefined;
  parentPort?.postMessage('stopped');
  parentPort?.close();
});
