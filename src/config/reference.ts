/**
 * Generated documentation of the configuration: the JSON Schema editors validate config files
 * with, and the Markdown table in the README. Tests keep both current.
 */
import type { TObject, TSchema } from '@sinclair/typebox';
import { describe, leaves } from './load.ts';

/** The JSON Schema of the whole config file. */
export function configJsonSchema(schema: TObject): Record<string, unknown> {
  const plain = dropDefaultedRequired(JSON.parse(JSON.stringify(schema)));
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/elaoms/elaoms/docs/config.schema.json',
    title: 'elaoms configuration',
    ...plain,
  };
}

/** A config file may omit any setting that has a default, so only the rest stays required. */
function dropDefaultedRequired(node: any): any {
  if (node && typeof node === 'object' && node.properties) {
    for (const child of Object.values(node.properties)) dropDefaultedRequired(child);
    const required = (node.required ?? []).filter((k: string) => node.properties[k]?.default === undefined);
    if (required.length) node.required = required;
    else delete node.required;
  }
  return node;
}

function defaultOf(schema: TSchema): string {
  if (schema.default === undefined) return '';
  if (schema.octal && typeof schema.default === 'number') return `\`0${schema.default.toString(8)}\``;
  const text = JSON.stringify(schema.default);
  return text === '[]' ? '' : `\`${text}\``;
}

/** One Markdown row per setting: key, variable, default, meaning. */
export function configMarkdownTable(schema: TObject): string {
  const rows = leaves(schema)
    .filter((leaf) => !leaf.key.startsWith('$'))
    .map((leaf) => {
      const s = leaf.schema as TSchema & { env?: string; secret?: boolean; description?: string };
      const env = s.env ? `\`${s.env}\`` : '';
      const meaning = `${s.description ?? ''}${s.secret ? ' (secret)' : ''} Accepts ${describe(s)}.`.trim();
      return `| \`${leaf.key}\` | ${env} | ${defaultOf(s)} | ${meaning.replace(/\|/g, '\\|')} |`;
    });
  return ['| key | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export const README_START = '<!-- config:start -->';
export const README_END = '<!-- config:end -->';

/** Replaces the generated block between the markers of `readme`. */
export function withConfigTable(readme: string, table: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error('README has no config markers');
  return `${readme.slice(0, start + README_START.length)}\n${table}\n${readme.slice(end)}`;
}
