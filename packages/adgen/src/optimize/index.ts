/**
 * Optimisations of generated functions (target IR → target IR), run on every function just before
 * it is printed. Each pass keeps the meaning of the code (the same operations on the same values;
 * fusion interleaves two loops only where no operation moves past one it depends on; only the
 * sign of a zero sum may differ, optimize/known-zero.ts) and removes work V8 would otherwise
 * repeat in hot loops. Order: zeroings a later assignment makes dead go first (zeroed-arrays.ts;
 * they keep loops apart), then fusion (it puts a store and the read of the same element
 * into one body), store forwarding before load reuse (whose loads it removes), one kernel call
 * for a helper's value and adjoint where the seed is known early (kernel-values.ts), dead
 * variables last (the other passes leave some behind).
 */
import type { TargetFunction } from '../ir/target.ts';
import { hoistLoopLengths } from './loop-lengths.ts';
import { useKnownZeros } from './known-zero.ts';
import { reuseLoads } from './loads.ts';
import { promoteLoopSums } from './scalar-promotion.ts';
import { fuseLoops } from './fusion.ts';
import { dropWriteOnlyArrays, overwriteZeroedArrays } from './zeroed-arrays.ts';
import { forwardStores } from './forwarding.ts';
import { removeDeadVariables } from './dead-variables.ts';
import { reuseKernelValues } from './kernel-values.ts';

/** Runs every pass over one generated function. */
export function optimizeFunction(fn: TargetFunction): TargetFunction {
  const promoted = promoteLoopSums(hoistLoopLengths(fuseLoops(overwriteZeroedArrays(fn))));
  // a promoted sum starts with a load (`let t = a[i]`) that may be a known zero: once more
  const refused = fuseLoops(overwriteZeroedArrays(promoted));
  return removeDeadVariables(dropWriteOnlyArrays(reuseKernelValues(reuseLoads(forwardStores(useKnownZeros(refused))))));
}
