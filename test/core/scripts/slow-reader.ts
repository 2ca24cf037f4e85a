/**
 * Reads stdin 8 KB at a time with a short sleep after each read (so the pipe it reads fills up),
 * then prints {"lines": n, "torn": [first lines that are not JSON]}.
 */
import { readSync } from 'node:fs';

const buffer = new Uint8Array(8192);
const pause = new Int32Array(new SharedArrayBuffer(4));
const chunks: Uint8Array[] = [];
for (;;) {
  let n: number;
  try {
    n = readSync(0, buffer, 0, buffer.length, null);
  } catch (error) {
    if ((error as { code?: string }).code === 'EAGAIN') {
      Atomics.wait(pause, 0, 0, 1);
      continue;
    }
    throw error;
  }
  if (n === 0) break;
  chunks.push(buffer.slice(0, n));
  Atomics.wait(pause, 0, 0, 0.5);
}
const lines = new TextDecoder().decode(Buffer.concat(chunks)).trimEnd().split('\n');
const torn: string[] = [];
for (const line of lines) {
  try {
    JSON.parse(line);
  } catch {
    if (torn.length < 3) torn.push(line.slice(0, 120));
  }
}
console.log(JSON.stringify({ lines: lines.length, torn }));
