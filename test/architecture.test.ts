/** The import rules of STYLE.md §2 hold (scripts/check-architecture.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkArchitecture } from '../scripts/check-architecture.ts';

test('phases import only earlier phases; ts-morph, prettier and process stay in their places', () => {
  assert.equal(checkArchitecture(), []);
});

test('generated files never import the adgen compiler', () => {
  const dirs = ['examples', 'test/golden'];
  for (const d of dirs) {
    const files = fs.readdirSync(d, { recursive: true }).map(String).filter((f) => f.endsWith('.ad.ts'));
    for (const f of files) {
      const text = fs.readFileSync(path.join(d, f), 'utf8');
      assert.not.ok(text.includes("from 'adgen"), `${f} imports adgen`);
      assert.not.ok(text.includes('packages/adgen'), `${f} imports the compiler`);
    }
  }
});

test.run();
