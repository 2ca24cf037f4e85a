import { describe, expect, it } from 'bun:test';
import { createLogger, memoryDestination } from '../../src/log.ts';

function logger() {
  const destination = memoryDestination();
  return { log: createLogger({ destination }), lines: destination.lines };
}

describe('log redaction', () => {
  it('censors secret keys at the top level and one level down, leaving deeper ones and the input alone', () => {
    const { log, lines } = logger();
    const fields = { apiKey: 'k1', nested: { token: 't1', keep: 1, deeper: { token: 'kept' } }, n: 3 };
    log.info(fields, 'x');
    expect(lines[0]).toMatchObject({ apiKey: '[redacted]', nested: { token: '[redacted]', keep: 1 }, n: 3 });
    expect(lines[0]!.nested.deeper.token).toBe('kept');
    expect(fields.apiKey).toBe('k1');
    expect(fields.nested.token).toBe('t1');
  });

  it('censors signature and key headers under headers, top level and one level down', () => {
    const { log, lines } = logger();
    log.info({ headers: { 'x-api-key': 'a', host: 'h' }, req: { headers: { cookie: 'c' } } }, 'x');
    expect(lines[0]).toMatchObject({
      headers: { 'x-api-key': '[redacted]', host: 'h' },
      req: { headers: { cookie: '[redacted]' } },
    });
  });

  it('censors secrets in child bindings and on serialized errors', () => {
    const { log, lines } = logger();
    const error = Object.assign(new Error('boom'), { token: 'secret-token' });
    log.child({ password: 'pw', scope: { secret: 's' } }).error({ err: error }, 'failed');
    const line = JSON.stringify(lines[0]);
    expect(line).not.toContain('pw');
    expect(line).not.toContain('secret-token');
    expect(lines[0]).toMatchObject({ password: '[redacted]', scope: { secret: '[redacted]' } });
    expect(lines[0]!.err).toMatchObject({ message: 'boom', token: '[redacted]' });
  });
});
