/** Builds a real core for tests: in-memory SQLite, captured logs, no config file, empty env. */
import { createApp } from '../../src/app.ts';
import type { Core } from '../../src/core.ts';
import { memoryDestination } from '../../src/log.ts';
import type { PluginDefinition } from '../../src/plugin.ts';

export interface TestCore {
  core: Core;
  logs: Array<Record<string, any>>;
  request(path: string, init?: RequestInit): Promise<Response>;
}

export async function testCore(
  options: {
    config?: Record<string, any>;
    env?: Record<string, string>;
    plugins?: PluginDefinition<any, any>[];
  } = {},
): Promise<TestCore> {
  const destination = memoryDestination();
  const config = { ...options.config, database: { path: ':memory:', ...options.config?.database } };
  const core = await createApp({
    config,
    env: options.env ?? {},
    logDestination: destination,
    plugins: options.plugins,
  });
  return {
    core,
    logs: destination.lines,
    request: (path, init) => core.handle(new Request(`http://localhost${path}`, init)),
  };
}

/** A JSON POST. */
export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}
