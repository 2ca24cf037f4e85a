/** The ceiling: a bare Elysia app that answers "ok" to any request, served like elaoms. */
import { Elysia } from 'elysia';
import { serve } from '../src/runtime.ts';

const app = new Elysia().all('/*', () => 'ok');
const server = serve((request) => app.handle(request), {
  hostname: '127.0.0.1',
  port: 0,
  maxRequestBodySize: 64 * 1024 * 1024,
});
console.log(`ready ${server.port}`);
