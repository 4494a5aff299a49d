import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { fileArb, renderFile } from './helpers/random-program.ts';
const files = fc.sample(fileArb(40), { numRuns: 50, seed: 12345 });
let n = 0;
files.forEach((f, i) => { n += f.fns.length; writeFileSync(`/tmp/rp/p${i}.ts`, renderFile(f)); });
console.log('functions', n);
