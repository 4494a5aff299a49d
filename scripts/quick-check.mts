// Development helper: compile fixture files with adgen and check every function numerically.
// Usage: npx tsx scripts/quick-check.mts file.ts [other.ts …] [--print]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compile, checkUnit } from '../test/support/harness.ts';
import { SPECS } from '../test/support/specs.ts';

const files = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const sources = Object.fromEntries(files.map((f) => [path.basename(f), fs.readFileSync(f, 'utf8')]));
const c = await compile(sources);
for (const f of c.files) {
  for (const u of f.units) {
    try {
      const r = checkUnit(c, path.basename(f.sourcePath), u.name, SPECS[u.name] ?? {});
      const bad = !(r.fdErrorReverse <= 1e-5 && r.fdErrorForward <= 1e-5 && r.dotResidual <= 1e-9);
      console.log(`${bad ? 'FAIL' : 'ok  '} ${u.name.padEnd(16)} rev ${r.fdErrorReverse.toExponential(1)} fwd ${r.fdErrorForward.toExponential(1)} dot ${r.dotResidual.toExponential(1)}`);
    } catch (e) {
      console.log(`ERR  ${u.name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (process.argv.includes('--print')) console.log(f.text);
}
console.log(c.dir);
