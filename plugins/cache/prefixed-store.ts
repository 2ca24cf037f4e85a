/** A namespaced view of a store: every key gets `<namespace>:` in front. */
import type { CacheStore } from './types.ts';

/** Wraps `inner` so keys live under `namespace:`; `kind` follows the inner store. */
export class PrefixedStore implements CacheStore {
  private readonly prefix: string;

  constructor(
    private readonly inner: CacheStore,
    namespace: string,
  ) {
    if (!namespace) throw new Error('cache namespace must not be empty');
    this.prefix = `${namespace}:`;
  }

  get kind(): CacheStore['kind'] {
    return this.inner.kind;
  }

  get(key: string) {
    return this.inner.get(this.prefix + key);
  }

  getText(key: string) {
    return this.inner.getText(this.prefix + key);
  }

  set(key: string, value: Uint8Array | string, ttlSeconds?: number) {
    return this.inner.set(this.prefix + key, value, ttlSeconds);
  }

  setIfAbsent(key: string, value: Uint8Array | string, ttlSeconds?: number) {
    return this.inner.setIfAbsent(this.prefix + key, value, ttlSeconds);
  }

  take(key: string) {
    return this.inner.take(this.prefix + key);
  }

  delete(key: string) {
    return this.inner.delete(this.prefix + key);
  }
}
