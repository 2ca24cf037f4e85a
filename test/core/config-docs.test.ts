import { describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { builtinPlugins } from '../../src/app.ts';
import { composeSchema, leaves } from '../../src/config/index.ts';
import { configJsonSchema, configMarkdownTable, withConfigTable } from '../../src/config/reference.ts';

const schema = composeSchema(builtinPlugins);
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('generated configuration docs (run `bun run docs:config` when this fails)', () => {
  it('docs/config.schema.json matches the schema', () => {
    expect(JSON.parse(read('docs/config.schema.json'))).toEqual(configJsonSchema(schema));
  });

  it("the README's configuration table matches the schema", () => {
    const readme = read('README.md');
    expect(withConfigTable(readme, configMarkdownTable(schema))).toBe(readme);
  });

  it('names every environment variable in the README', () => {
    const readme = read('README.md');
    const envs = leaves(schema)
      .map((l) => (l.schema as { env?: string }).env)
      .filter(Boolean);
    expect(envs.length).toBeGreaterThan(10);
    for (const env of envs) expect(readme).toContain(`\`${env}\``);
  });
});
