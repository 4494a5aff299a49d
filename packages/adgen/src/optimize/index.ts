/**
 * Optimisations of generated functions (target IR → target IR), run on every function just before
 * it is printed. Each pass keeps the meaning of the code exactly (same operations on the same
 * values, in the same order) and only removes work V8 would otherwise repeat in hot loops.
 */
import type { TargetFunction } from '../ir/target.ts';
import { hoistLoopLengths } from './loop-lengths.ts';
import { reuseLoads } from './loads.ts';
import { promoteLoopSums } from './scalar-promotion.ts';

export function optimizeFunction(fn: TargetFunction): TargetFunction {
  return reuseLoads(promoteLoopSums(hoistLoopLengths(fn)));
}
