/**
 * Generates drizzle migrations after a schema change: the core's (`drizzle/core`) and each plugin's
 * (`drizzle/<plugin>`, from `plugins/<plugin>/schema.ts`), each applied into its own migrations table.
 *
 *   bun run db:generate                     every schema; folders without changes get nothing
 *   bun run db:generate storage --name x    one plugin (or `core`), extra flags go to drizzle-kit
 *   bun run db:generate memory --custom     an empty migration for hand-written SQL (FTS5, triggers)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const targets: Record<string, string> = { core: 'src/db/schema.ts' };
for (const name of readdirSync(join(root, 'plugins'))) {
  if (existsSync(join(root, 'plugins', name, 'schema.ts'))) targets[name] = `plugins/${name}/schema.ts`;
}

const [first, ...rest] = process.argv.slice(2);
const chosen = first && !first.startsWith('-') ? [first] : Object.keys(targets);
const flags = first && !first.startsWith('-') ? rest : process.argv.slice(2);
for (const name of chosen) {
  const schema = targets[name];
  if (!schema) {
    console.error(`db:generate: no schema for "${name}"; one of: ${Object.keys(targets).join(', ')}`);
    process.exit(2);
  }
  const args = ['generate', '--dialect', 'sqlite', '--schema', schema, '--out', `drizzle/${name}`, ...flags];
  console.log(`drizzle-kit ${args.join(' ')}`);
  const run = spawnSync(join(root, 'node_modules', '.bin', 'drizzle-kit'), args, {
    cwd: root,
    stdio: 'inherit',
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
