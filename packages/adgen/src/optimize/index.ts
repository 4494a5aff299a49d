/**
 * Optimisations of generated functions (target IR → target IR), run on every function just before
 * it is printed. Each pass keeps the meaning of the code (the same operations on the same values,
 * in the same order; only the sign of a zero sum may differ, optimize/known-zero.ts) and removes
 * work V8 would otherwise repeat in hot loops.
 */
import type { TargetFunction } from '../ir/target.ts';
import { hoistLoopLengths } from './loop-lengths.ts';
import { useKnownZeros } from './known-zero.ts';
import { reuseLoads } from './loads.ts';
import { promoteLoopSums } from './scalar-promotion.ts';
import { fuseLoops } from './fusion.ts';
import { forwardStores } from './forwarding.ts';

export function optimizeFunction(fn: TargetFunction): TargetFunction {
  return reuseLoads(forwardStores(useKnownZeros(promoteLoopSums(hoistLoopLengths(fuseLoops(fn))))));
}
