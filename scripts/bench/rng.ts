/** Seeded data for the benchmark, from the runtime's Rng (mulberry32 + Box–Muller). */
import { Rng } from '@adgen/runtime';

export { Rng };

/** A fresh Float64Array of length n with a[i] = f(rng, i). */
export function randomArray(rng: Rng, n: number, f: (r: Rng, i: number) => number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = f(rng, i);
  return a;
}
