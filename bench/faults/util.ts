/** Small helpers of the fault run: a free port, sleeping, polling with a deadline. */
import { freePort, sleep } from '../../test/helpers/process.ts';

export { freePort, sleep };

/** Polls `check` every 50 ms until it is true; throws `message` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  message: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message);
    await sleep(50);
  }
}
