/**
 * Lets the same test files run under Deno: `bun:test` is mapped here by deno.json's import map.
 * describe/it come from node:test (built into Deno), expect from npm `expect` (Jest's matchers).
 * Only the subset our tests use is provided; `skipIf` is added because node:test lacks it.
 */
import { after, afterEach, before, beforeEach, describe as nodeDescribe, it as nodeIt } from 'node:test';
import { expect } from 'expect';

type Fn = (...args: any[]) => any;

/** bun:test matchers Jest's expect lacks. */
function check(pass: boolean, message: string) {
  return { pass, message: () => message };
}
expect.extend({
  toStartWith: (received: string, prefix: string) =>
    check(
      typeof received === 'string' && received.startsWith(prefix),
      `expected ${received} to start with ${prefix}`,
    ),
  toEndWith: (received: string, suffix: string) =>
    check(
      typeof received === 'string' && received.endsWith(suffix),
      `expected ${received} to end with ${suffix}`,
    ),
  toInclude: (received: string, part: string) =>
    check(typeof received === 'string' && received.includes(part), `expected ${received} to include ${part}`),
  toBeTrue: (received: unknown) => check(received === true, `expected ${received} to be true`),
  toBeFalse: (received: unknown) => check(received === false, `expected ${received} to be false`),
  toBeString: (received: unknown) =>
    check(typeof received === 'string', `expected ${received} to be a string`),
  toBeNumber: (received: unknown) =>
    check(typeof received === 'number', `expected ${received} to be a number`),
  toBeArray: (received: unknown) => check(Array.isArray(received), `expected ${received} to be an array`),
  toBeEmpty: (received: any) =>
    check(
      received != null &&
        (typeof received === 'string' || Array.isArray(received)
          ? received.length === 0
          : Object.keys(received).length === 0),
      `expected ${received} to be empty`,
    ),
});

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
