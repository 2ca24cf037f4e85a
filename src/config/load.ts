/**
 * Loads the typed configuration. Sources, later wins: built-in defaults < config file < environment.
 * Every leaf setting may carry `env` (its variable name), `secret` (never printed) and `octal`
 * (accept `0600` / `0o600` for file modes) in its TypeBox options.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TObject, TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';

export type Source = 'default' | `file ${string}` | `env ${string}`;

export interface ConfigIssue {
  key: string;
  source: Source;
  message: string;
}

/** Thrown when configuration is invalid: one issue per bad setting, secrets never shown. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `Invalid configuration:\n${issues.map((i) => `  - ${i.key} (${i.source}): ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  argv?: string[];
  cwd?: string;
  /** A config object used instead of a file (embedding, tests). */
  file?: Record<string, unknown>;
  /** Where `file` came from, for messages (a TypeScript config file, say). */
  fileLabel?: string;
}

export interface Loaded<T> {
  config: T;
  /** Where each leaf came from, by dotted key. */
  sources: Map<string, Source>;
  /** The config file read, if any. */
  filePath?: string;
}

export interface Leaf {
  key: string;
  path: string[];
  schema: TSchema;
}

/** Every leaf setting of a schema with its dotted key. */
export function leaves(schema: TSchema, path: string[] = []): Leaf[] {
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([name, sub]) =>
      leaves(sub, [...path, name]),
    );
  }
  return [{ key: path.join('.'), path, schema }];
}

/**
 * A plugin's start-up error that names a setting (`WEBHOOK_API_KEYS: entry 2 repeats a key`, by its
 * environment variable or dotted key) as a {@link ConfigError} on that key, with where its value
 * came from; null for any other error.
 */
export function settingError(
  error: unknown,
  schema: TSchema,
  sources: Map<string, Source>,
): ConfigError | null {
  if (error instanceof ConfigError) return error;
  const match = /^([A-Za-z][\w.]*): (.+)$/s.exec((error as Error)?.message ?? '');
  if (!match) return null;
  const [, name, message] = match as unknown as [string, string, string];
  const leaf = leaves(schema).find((l) => l.key === name || (l.schema as { env?: string }).env === name);
  if (!leaf) return null;
  return new ConfigError([{ key: leaf.key, source: sources.get(leaf.key) ?? 'default', message }]);
}

/** True for config files that are modules (TypeScript or JavaScript with a default export). */
export function isModuleConfig(path: string): boolean {
  return /\.(ts|mts|js|mjs)$/.test(path);
}

/** Finds the config file: --config PATH, then ELAOMS_CONFIG, then ./elaoms.config.json. */
export function findConfigFile(argv: string[], env: Record<string, string | undefined>, cwd: string) {
  const flag = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (flag >= 0) {
    const arg = argv[flag]!;
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[flag + 1];
    if (!value)
      throw new ConfigError([{ key: 'config', source: 'default', message: '--config needs a path' }]);
    return { path: resolve(cwd, value), required: true };
  }
  if (env.ELAOMS_CONFIG) return { path: resolve(cwd, env.ELAOMS_CONFIG), required: true };
  const typed = resolve(cwd, 'elaoms.config.ts');
  if (existsSync(typed)) return { path: typed, required: true };
  return { path: resolve(cwd, 'elaoms.config.json'), required: false };
}

function readConfigFile(path: string, required: boolean): Record<string, unknown> | undefined {
  if (!existsSync(path)) {
    if (!required) return undefined;
    throw new ConfigError([{ key: 'config', source: `file ${path}`, message: 'file not found' }]);
  }
  const fail = (message: string) => new ConfigError([{ key: 'config', source: `file ${path}`, message }]);
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // The parser's own message quotes the text around the error, which may be a secret.
    throw fail(`not valid JSON${whereInText(text, (error as Error).message)}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('expected a JSON object');
  return parsed as Record<string, unknown>;
}

/** " at line L, column C" when the parser's message gives a place (V8 does, JavaScriptCore does not). */
function whereInText(text: string, message: string): string {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return ` at line ${lineColumn[1]}, column ${lineColumn[2]}`;
  const position = /position (\d+)/.exec(message);
  if (!position) return '';
  const before = text.slice(0, Number(position[1])).split('\n');
  return ` at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** Loads, merges, coerces and checks the configuration against `schema`. */
export function loadConfig<T>(schema: TObject, options: LoadOptions = {}): Loaded<T> {
  const env = options.env ?? {};
  const sources = new Map<string, Source>();
  let value: Record<string, unknown> = {};
  let filePath: string | undefined;
  if (options.file) {
    value = structuredClone(options.file);
    markSources(value, [], `file ${options.fileLabel ?? '(inline)'}`, sources);
  } else {
    const found = findConfigFile(options.argv ?? [], env, options.cwd ?? process.cwd());
    const fromFile = readConfigFile(found.path, found.required);
    if (fromFile) {
      filePath = found.path;
      value = fromFile;
      markSources(value, [], `file ${found.path}`, sources);
    }
  }
  for (const leaf of leaves(schema)) {
    const name = (leaf.schema as { env?: string }).env;
    const raw = name ? env[name] : undefined;
    if (raw === undefined || raw === '') continue;
    setPath(value, leaf.path, coerce(leaf.schema, raw));
    sources.set(leaf.key, `env ${name}`);
  }
  const withDefaults = Value.Default(schema, value) as Record<string, unknown>;
  const issues = check(schema, withDefaults, sources);
  if (issues.length) throw new ConfigError(issues);
  return { config: withDefaults as T, sources, filePath };
}

function markSources(value: unknown, path: string[], source: Source, sources: Map<string, Source>) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) markSources(v, [...path, k], source, sources);
  } else if (path.length) {
    sources.set(path.join('.'), source);
  }
}

function setPath(target: Record<string, unknown>, path: string[], leaf: unknown) {
  let node = target;
  for (const part of path.slice(0, -1)) {
    if (!node[part] || typeof node[part] !== 'object') node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = leaf;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** Turns an environment string into the schema's type; leaves it as a string when it cannot. */
export function coerce(schema: TSchema, raw: string): unknown {
  const type = schema.anyOf ? schema.anyOf.find((s: TSchema) => s.type !== 'null')?.type : schema.type;
  const text = raw.trim();
  if (type === 'array') {
    return text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((item) => (schema.items ? coerce(schema.items, item) : item));
  }
  if (type === 'integer' || type === 'number') {
    if (schema.octal && /^0o?[0-7]+$/i.test(text)) return Number.parseInt(text.replace(/^0o?/i, ''), 8);
    const n = Number(text);
    return text !== '' && Number.isFinite(n) ? n : raw;
  }
  if (type === 'boolean') {
    const lower = text.toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
    return raw;
  }
  return raw;
}

function check(schema: TObject, value: unknown, sources: Map<string, Source>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    const key = error.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    if (seen.has(key)) continue;
    seen.add(key);
    const leafSchema = error.schema as TSchema & { secret?: boolean; env?: string };
    const source = sources.get(key) ?? sourceOfPrefix(key, sources);
    const got = leafSchema.secret ? 'a value that is not shown' : JSON.stringify(error.value);
    const expected = describe(leafSchema);
    const message =
      error.type === ValueErrorType.ObjectAdditionalProperties
        ? `unknown key ${key.split('.').pop()}`
        : error.value === undefined
          ? `is required: ${expected}${leafSchema.env ? ` (set ${leafSchema.env})` : ''}`
          : `expected ${expected}, got ${got}`;
    issues.push({ key, source, message });
  }
  return issues;
}

function sourceOfPrefix(key: string, sources: Map<string, Source>): Source {
  for (const [k, s] of sources) if (k.startsWith(`${key}.`) || key.startsWith(`${k}.`)) return s;
  return 'default';
}

/** A short, human description of what a schema accepts. */
export function describe(schema: TSchema): string {
  if (schema.anyOf) return schema.anyOf.map(describe).join(' or ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const noun = schema.type === 'integer' ? 'an integer' : 'a number';
      const lo = schema.minimum !== undefined ? ` ≥ ${schema.minimum}` : '';
      const hi = schema.maximum !== undefined ? ` ≤ ${schema.maximum}` : '';
      return `${noun}${lo}${lo && hi ? ' and' : ''}${hi}${schema.octal ? ' (octal like 0600 allowed)' : ''}`;
    }
    case 'boolean':
      return 'true or false';
    case 'string':
      if (schema.enum) return `one of ${schema.enum.join(', ')}`;
      if (schema.pattern === '^https?://') return 'a URL such as http://host:port';
      if (schema.pattern === '^rediss?://') return 'a URL such as redis://host:6379';
      if (schema.pattern) return `a string matching /${schema.pattern}/`;
      if (schema.minLength) return `a non-empty string`;
      return 'a string';
    case 'array':
      return `a comma-separated list${schema.items ? ` of ${describe(schema.items)}` : ''}`;
    case 'object':
      return 'an object';
    case 'null':
      return 'null';
    default:
      return 'a valid value';
  }
}
