/**
 * Lets the same test files run under Deno: `bun:test` is mapped here by deno.json's import map.
 * describe/it come from node:test (built into Deno), expect from npm `expect` (Jest's matchers).
 * Only the subset our tests use is provided; `skipIf` is added because node:test lacks it.
 */
import { after, afterEach, before, beforeEach, describe as nodeDescribe, it as nodeIt } from 'node:test';
import { expect } from 'expect';

type Fn = (...args: any[]) => any;

function withSkipIf<T extends Fn & { skip: Fn }>(base: T) {
  const wrapped = ((name: string, fn: Fn, opts?: unknown) => base(name, opts ?? {}, fn)) as unknown as T & {
    skipIf(condition: boolean): (name: string, fn: Fn) => unknown;
    skip: Fn;
    only: Fn;
    todo: Fn;
  };
  wrapped.skip = (name: string, fn: Fn) => base(name, { skip: true }, fn);
  wrapped.only = (name: string, fn: Fn) => base(name, { only: true }, fn);
  wrapped.todo = (name: string, fn?: Fn) => base(name, { todo: true }, fn ?? (() => {}));
  wrapped.skipIf = (condition: boolean) => (name: string, fn: Fn) =>
    condition ? base(name, { skip: true }, fn) : base(name, {}, fn);
  return wrapped;
}

export const describe = withSkipIf(nodeDescribe as any);
export const it = withSkipIf(nodeIt as any);
export const test = it;
export { after as afterAll, afterEach, before as beforeAll, beforeEach, expect };
