/**
 * Reads the JUnit XML `deno test --junit-path` writes and prints "passed failed skipped" for the
 * leaf tests (a describe block shows up as a testcase too; only cases no other case nests under count).
 */
import { readFileSync } from 'node:fs';

const xml = readFileSync(process.argv[2]!, 'utf8');
const cases = [...xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)].map((m) => ({
  name: m[1]!,
  body: m[2]!,
}));
const names = cases.map((c) => c.name);
const leaves = cases.filter((c) => !names.some((n) => n.startsWith(`${c.name} &gt; `)));
const failed = leaves.filter((c) => /<failure|<error/.test(c.body)).length;
const skipped = leaves.filter((c) => /<skipped/.test(c.body)).length;
console.log(`${leaves.length - failed - skipped} ${failed} ${skipped}`);
