/**
 * `npm run example <name>` runs examples/<name>/main.ts (its exported `main`).
 * Without a name, or with an unknown one, lists the examples.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const examplesDir = resolve(import.meta.dirname, '..', 'examples');

function listExamples(): string[] {
  return readdirSync(examplesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(examplesDir, d.name, 'main.ts')))
    .map((d) => d.name)
    .sort();
}

const name = process.argv[2];
const known = listExamples();
if (name === undefined || name === '--help' || name === '-h' || !known.includes(name)) {
  if (name !== undefined && name !== '--help' && name !== '-h') console.error(`unknown example '${name}'`);
  console.error('usage: npm run example <name>\n\nexamples:');
  for (const e of known) console.error(`  ${e}`);
  process.exit(name === undefined || name === '--help' || name === '-h' ? 0 : 2);
}

const mod = (await import(pathToFileURL(join(examplesDir, name, 'main.ts')).href)) as { main?: () => unknown };
if (typeof mod.main !== 'function') {
  console.error(`examples/${name}/main.ts does not export a main() function`);
  process.exit(2);
}
await mod.main();
