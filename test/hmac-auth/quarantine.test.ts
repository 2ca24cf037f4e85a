/** The quarantine hook: bytes held before the check, released with the outcome after; failures never block. */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HmacAuthService, QuarantineHook } from '../../plugins/hmac-auth/index.ts';
import { NOW_SEC, type SignedCore, signedBody, signedCore, TRANSCRIPT } from './helpers.ts';

/** A tiny quarantine on disk: held bodies in `held/`, released ones moved to `accepted/` or `rejected/`. */
function diskQuarantine(root: string): QuarantineHook {
  let n = 0;
  return {
    async hold(raw, meta) {
      const id = `q${++n}`;
      await writeFile(join(root, 'held', id), raw);
      await writeFile(join(root, 'held', `${id}.json`), JSON.stringify(meta));
      return id;
    },
    async release(id, { accepted, outcome }) {
      await rename(
        join(root, 'held', id),
        join(root, accepted ? 'accepted' : 'rejected', `${id}-${outcome}`),
      );
    },
  };
}

describe('hmac-auth quarantine hook', () => {
  let app: SignedCore;
  let root: string;
  let failures: Array<{ reason: string }>;
  beforeAll(async () => {
    app = await signedCore();
    root = await mkdtemp(join(tmpdir(), 'elaoms-quarantine-'));
    for (const dir of ['held', 'accepted', 'rejected']) await mkdir(join(root, dir));
    app.core.service<HmacAuthService>('hmac-auth').useQuarantine(diskQuarantine(root));
    failures = [];
    app.core.events.on('quarantine.failure', (e) => failures.push(e));
  });
  afterAll(async () => {
    await app.core.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('holds the exact bytes before the check and moves them to accepted after', async () => {
    const { text, header } = await signedBody(TRANSCRIPT);
    const response = await app.post('/webhooks/post-call', text, { 'elevenlabs-signature': header });
    expect(response.status).toBe(200);
    const id = (await response.json()).quarantine_id;
    expect(await readFile(join(root, 'accepted', `${id}-accepted`), 'utf8')).toBe(text);
    const meta = JSON.parse(await readFile(join(root, 'held', `${id}.json`), 'utf8'));
    expect(meta).toMatchObject({ clientIp: 'unknown', path: '/webhooks/post-call' });
  });

  it('moves a forged body to rejected with its reason', async () => {
    const { text } = await signedBody(TRANSCRIPT);
    const response = await app.post('/webhooks/post-call', text, {
      'elevenlabs-signature': `t=${NOW_SEC},v0=${'a'.repeat(64)}`,
    });
    expect(response.status).toBe(401);
    expect((await readdir(join(root, 'rejected'))).some((f) => f.endsWith('-mismatch'))).toBe(true);
  });

  it('never writes a body whose header is missing, malformed or outside the time window', async () => {
    const before = (await readdir(join(root, 'held'))).length;
    const { text } = await signedBody(TRANSCRIPT);
    for (const header of [undefined, 'garbage', `t=1,v0=${'a'.repeat(64)}`]) {
      const response = await app.post(
        '/webhooks/post-call',
        text,
        header ? { 'elevenlabs-signature': header } : {},
      );
      expect(response.status).toBe(401);
    }
    expect((await readdir(join(root, 'held'))).length).toBe(before);
  });

  it('goes on when the quarantine fails, and reports it', async () => {
    const service = app.core.service<HmacAuthService>('hmac-auth');
    service.useQuarantine({
      hold: async () => {
        throw new Error('disk full');
      },
      release: async () => {},
    });
    const { text, header } = await signedBody(TRANSCRIPT);
    const response = await app.post('/webhooks/post-call', text, { 'elevenlabs-signature': header });
    expect(response.status).toBe(200);
    expect(failures.at(-1)?.reason).toBe('hold: disk full');
    expect(app.logs.some((l) => l.msg === 'quarantine failed' && l.level === 'error')).toBe(true);
    service.useQuarantine(diskQuarantine(root));
  });
});
