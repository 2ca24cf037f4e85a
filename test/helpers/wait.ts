/** Waiting in tests for what the code under test does in the background, bounded in time. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** Gives up after this long. Default 2 s. */
  withinMs?: number;
  /** Checks this often. Default 10 ms. */
  everyMs?: number;
}

/**
 * Checks `done` until it is true or `withinMs` passed; says whether it became true. The test then
 * asserts what it waited for, so a timeout fails on that assertion. An error `done` throws ends the
 * wait with it (a child process that exited, say).
 */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  { withinMs = 2_000, everyMs = 10 }: WaitOptions = {},
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** {@link waitUntil}, failing with "`what` did not happen within …" when the time runs out. */
export async function eventually(
  what: string,
  done: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  if (!(await waitUntil(done, options))) {
    throw new Error(`${what} did not happen within ${options.withinMs ?? 2_000} ms`);
  }
}
