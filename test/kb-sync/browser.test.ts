/**
 * The knowledge page in a real browser: Debian's Chromium driven by playwright-core against the
 * real core served over HTTP and the loopback fake ElevenLabs. Upload → green; the fake answers
 * 401 → red with the error; heal, Retry Sync → green. Every status badge has its colour family and
 * a 4.5:1 text contrast; the URL and File sources are driven through their radio buttons once.
 * Saves docs/images/kb-sync.png (and -phone.png).
 * Skipped only when /usr/bin/chromium is missing outside CI (.ci/browser installs it); under CI=true it runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { kbSyncPlugin } from '../../plugins/kb-sync/index.ts';
import { createApp } from '../../src/app.ts';
import type { Core } from '../../src/core.ts';
import { memoryDestination } from '../../src/log.ts';
import { type Served, serveCore } from '../../src/server.ts';
import { type ElevenLabsFake, startElevenLabsFake } from '../fakes/elevenlabs.ts';
import { route } from '../fakes/faults.ts';

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'browser-admin-key';
const SCREENSHOT = new URL('../../docs/images/kb-sync.png', import.meta.url);
const PHONE_SCREENSHOT = new URL('../../docs/images/kb-sync-phone.png', import.meta.url);
const missing = !existsSync(CHROMIUM) && process.env.CI !== 'true';
const CREATE = route('POST', /^\/v1\/convai\/knowledge-base\/(text|url|file)$/);
const WAIT = { timeout: 20_000 };

/** `rgb(…)`/`rgba(…)` as computed by the browser → [r, g, b] (0–255). */
function channels(css: string): number[] {
  const parts = css.match(/[\d.]+/g)?.map(Number) ?? [];
  if (parts.length < 3 || (parts.length > 3 && parts[3] !== 1))
    throw new Error(`not an opaque colour: ${css}`);
  return parts.slice(0, 3);
}

/** WCAG 2 contrast ratio of two opaque colours. */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, b] = channels(css).map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Hue in degrees (0–360) of an opaque colour. */
function hue(css: string): number {
  const [r, g, b] = channels(css).map((c) => c / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

/** The colour family each status must show (issue 6: pending orange, syncing blue, completed green, failed red). */
const FAMILIES: Record<string, (h: number) => boolean> = {
  pending: (h) => h >= 15 && h <= 45,
  syncing: (h) => h >= 200 && h <= 250,
  completed: (h) => h >= 90 && h <= 160,
  failed: (h) => h >= 345 || h <= 12,
};

describe.skipIf(missing)('kb-sync page in Chromium (needs /usr/bin/chromium: run .ci/browser)', () => {
  let fake: ElevenLabsFake;
  let core: Core;
  let served: Served;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    fake = await startElevenLabsFake();
    core = await createApp({
      plugins: [headerAuthPlugin, kbSyncPlugin],
      config: {
        database: { path: ':memory:' },
        headerAuth: { adminKeys: [`admin:${KEY}`] },
        elevenlabs: { apiKey: fake.apiKey, baseUrl: fake.url },
        kbSync: { pollIntervalMs: 100 },
      },
      env: {},
      logDestination: memoryDestination(),
    });
    served = await serveCore(core, { hostname: '127.0.0.1', port: 0 });
    origin = served.server.url.origin;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args: [
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await served?.shutdown();
    await fake?.close();
  });

  function row(page: Page, name: string) {
    return page.locator('#rows tr', { has: page.locator('.name', { hasText: name }) });
  }

  async function statusOf(page: Page, name: string, status: string) {
    await row(page, name).locator(`.badge[data-status="${status}"]`).waitFor(WAIT);
  }

  async function addText(page: Page, name: string, text: string) {
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Document text').fill(text);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await row(page, name).waitFor(WAIT);
  }

  /** The computed background and text colour of a row's status badge. */
  function badgeColours(page: Page, name: string) {
    return row(page, name)
      .locator('.badge')
      .evaluate((el) => {
        const style = getComputedStyle(el);
        return {
          status: el.getAttribute('data-status') ?? '',
          background: style.backgroundColor,
          text: style.color,
        };
      });
  }

  /** Adds a document through the API, as another admin tab would. */
  async function addViaApi(body: Record<string, string>) {
    const response = await fetch(`${origin}/api/knowledge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
  }

  it('uploads, shows a failure in red, and turns green after Retry Sync', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 720 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/ui/knowledge`);

    await page.getByLabel('Admin API key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The key was not accepted. Sign in again.').waitFor(WAIT);
    await page.getByLabel('Admin API key').fill(KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Add a document' }).waitFor(WAIT);

    await addText(page, 'Opening hours', 'Open Monday to Friday, 9:00 to 17:00.');
    await statusOf(page, 'Opening hours', 'completed');

    fake.faults.always({ kind: 'status', status: 401, match: CREATE });
    await addText(page, 'Price list', 'Soup 4 EUR, bread 2 EUR.');
    await statusOf(page, 'Price list', 'failed');
    const failed = row(page, 'Price list');
    await failed.getByText('Error details').focus();
    await page.keyboard.press('Enter');
    await failed.getByText('API key invalid (auth_error)').waitFor(WAIT);
    await failed.getByText('HTTP 401: Invalid API key').waitFor(WAIT);

    // Heal the fake, but hold the next uploads so the picture shows every status at once.
    fake.faults.clear();
    fake.faults.push({ kind: 'delay', ms: 4000, times: 3, match: CREATE });
    await addViaApi({ name: 'Return policy', url: 'https://example.com/returns' });
    await addViaApi({ name: 'Delivery areas', text: 'We deliver within 10 km.' });
    await addViaApi({ name: 'Allergens', text: 'All dishes may contain nuts.' });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await statusOf(page, 'Delivery areas', 'syncing');
    await statusOf(page, 'Allergens', 'pending');
    // The automatic refresh keeps the open details and the keyboard focus where they were.
    await row(page, 'Price list').getByText('Error details').focus();
    await page.waitForResponse((r) => r.url().includes('/api/knowledge?'), WAIT);
    await row(page, 'Price list').getByText('HTTP 401: Invalid API key').waitFor(WAIT);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Error details');
    const retryButton = row(page, 'Price list').getByRole('button', { name: /Retry sync/i });
    expect(await retryButton.isEnabled()).toBe(true);
    expect(
      await row(page, 'Delivery areas')
        .getByRole('button', { name: /Retry sync/i })
        .isDisabled(),
    ).toBe(true);
    // One badge of each status is on screen now: colour family and text contrast of each.
    const badges = [];
    for (const name of ['Allergens', 'Delivery areas', 'Opening hours', 'Price list'])
      badges.push(await badgeColours(page, name));
    expect(badges.map((b) => b.status)).toEqual(['pending', 'syncing', 'completed', 'failed']);
    for (const badge of badges) {
      expect({ ...badge, family: FAMILIES[badge.status]!(hue(badge.background)) }).toMatchObject({
        family: true,
      });
      expect(contrast(badge.text, badge.background)).toBeGreaterThanOrEqual(4.5);
    }
    await mkdir(new URL('.', SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });

    await statusOf(page, 'Allergens', 'completed');
    await row(page, 'Price list')
      .getByRole('button', { name: /Retry sync/i })
      .focus();
    fake.faults.push({ kind: 'delay', ms: 800, match: CREATE });
    await page.keyboard.press('Enter');
    await page.locator('#toast', { hasText: 'Retrying sync of “Price list”' }).waitFor(WAIT);
    await statusOf(page, 'Price list', 'completed');
    await page.locator('#toast', { hasText: '“Price list” synced to ElevenLabs' }).waitFor(WAIT);
    expect(await row(page, 'Price list').locator('td').nth(3).textContent()).toBe('1');
    expect(fake.documents.size).toBe(5);

    // The other two sources, chosen with their radio buttons: each shows its own field only.
    await page.getByRole('radio', { name: 'URL' }).check();
    expect(await page.getByLabel('Document text').isVisible()).toBe(false);
    await page.getByLabel('Name').fill('Menu page');
    await page.getByLabel('Page URL').fill('https://example.com/menu');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await statusOf(page, 'Menu page', 'completed');
    await page.getByRole('radio', { name: 'File' }).check();
    expect(await page.getByLabel('Page URL').isVisible()).toBe(false);
    await page.getByLabel('Name').fill('FAQ file');
    await page.getByLabel('File to upload').setInputFiles({
      name: 'faq.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Q: Do you deliver? A: Yes, within 10 km.'),
    });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await statusOf(page, 'FAQ file', 'completed');
    const sent = [...fake.documents.values()];
    expect(sent.find((d) => d.name === 'Menu page')).toMatchObject({
      type: 'url',
      url: 'https://example.com/menu',
    });
    expect(sent.find((d) => d.name === 'FAQ file')).toMatchObject({
      type: 'file',
      filename: 'faq.txt',
      text: 'Q: Do you deliver? A: Yes, within 10 km.',
    });
    // After an upload the form is back on Text.
    expect(await page.getByRole('radio', { name: 'Text' }).isChecked()).toBe(true);
    expect(await page.getByLabel('Document text').isVisible()).toBe(true);

    // Phone width: no sideways scrolling, the retry button still reachable by keyboard.
    await page.locator('#toast').waitFor({ state: 'hidden', timeout: 10_000 });
    await page.setViewportSize({ width: 375, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: PHONE_SCREENSHOT.pathname, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
