/**
 * The knowledge page in a real browser: Debian's Chromium driven by playwright-core against the
 * real core served over HTTP and the loopback fake ElevenLabs. Upload → green; the fake answers
 * 401 → red with the error; heal, Retry Sync → green. Saves docs/images/kb-sync.png (and -phone.png).
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
    await page.getByRole('button', { name: 'Upload' }).click();
    await row(page, name).waitFor(WAIT);
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
    const green = await row(page, 'Opening hours')
      .locator('.badge')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(green).toBe('rgb(21, 112, 58)');

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
