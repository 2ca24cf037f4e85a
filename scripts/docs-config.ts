/** Regenerates docs/config.schema.json and the README's configuration table from the schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinPlugins } from '../src/app.ts';
import { composeSchema } from '../src/config/index.ts';
import { configJsonSchema, configMarkdownTable, withConfigTable } from '../src/config/reference.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const schema = composeSchema(builtinPlugins);
writeFileSync(`${root}docs/config.schema.json`, `${JSON.stringify(configJsonSchema(schema), null, 2)}\n`);
const readme = readFileSync(`${root}README.md`, 'utf8');
writeFileSync(`${root}README.md`, withConfigTable(readme, configMarkdownTable(schema)));
console.log('wrote docs/config.schema.json and the README configuration table');
