import * as fs from 'node:fs';
import { compile, checkUnit } from '../test/support/harness.ts';
const src = fs.readFileSync(process.argv[2]!, 'utf8');
const c = await compile({ 'model.ts': src });
for (const u of c.files[0]!.units) {
  const r = checkUnit(c, 'model.ts', u.name, { ranges: {}, sizes: {} });
  console.log(u.name, JSON.stringify(r));
}
if (process.argv[3]) console.log(c.files[0]!.text);
