/**
 * GET /ui/knowledge: one HTML document with its CSS and script inlined, no framework, no build,
 * no external assets. The source files are read once, when the plugin is created. Each
 * answer gets a fresh CSP nonce, so only our inline style and script run.
 */
import { readFileSync } from 'node:fs';
import { Elysia } from 'elysia';

function read(name: string): string {
  return readFileSync(new URL(`./ui/${name}`, import.meta.url), 'utf8');
}

/** The page template with `{{nonce}}` still in it. */
export function loadPage(): string {
  return read('knowledge.html')
    .replace('/*{{style}}*/', () => `${read('knowledge.css')}\n${read('knowledge-table.css')}`)
    .replace('/*{{script}}*/', () => read('knowledge.js'));
}

function policy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The page route. The page itself holds no data; every API call it makes needs the admin key. */
export function knowledgePage() {
  const template = loadPage();
  return new Elysia({ name: 'elaoms/kb-sync/ui' }).get(
    '/ui/knowledge',
    function servePage() {
      const nonce = crypto.randomUUID().replace(/-/g, '');
      return new Response(template.replaceAll('{{nonce}}', nonce), {
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': policy(nonce),
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
          'x-content-type-options': 'nosniff',
        },
      });
    },
    {
      detail: {
        summary: 'Knowledge documents page (upload, sync status, retry)',
        tags: ['knowledge'],
        responses: {
          200: {
            description: 'The page; it asks for the admin key and calls /api/knowledge with it',
            content: { 'text/html': { example: '<!doctype html><title>Knowledge base</title>…' } },
          },
        },
      },
    },
  );
}
