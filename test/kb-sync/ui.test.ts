import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type KbHarness, kbHarness } from './helpers.ts';

describe('GET /ui/knowledge', () => {
  let h: KbHarness;
  beforeAll(async () => {
    h = await kbHarness({ start: false });
  });
  afterAll(async () => {
    await h.close();
  });

  it('is one self-contained HTML document whose inline code runs under a nonce CSP', async () => {
    const response = await h.request('/ui/knowledge');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([0-9a-f]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html).not.toContain('{{');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('<label for="key">Admin API key</label>');
    expect(html).toContain('Retry Sync');
    const again = await h.request('/ui/knowledge');
    expect(again.headers.get('content-security-policy')).not.toBe(csp);
  });

  it('can be switched off (KB_SYNC_UI=false)', async () => {
    const off = await kbHarness({ start: false, kbSync: { ui: false } });
    expect((await off.request('/ui/knowledge')).status).toBe(404);
    await off.close();
  });
});
