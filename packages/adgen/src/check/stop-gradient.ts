/**
 * `stopGradient` for finite differences. The generated derivatives treat `stopGradient(e)` as a
 * constant, but plain finite differences see the identity and would disagree. So while the check
 * runs the user's function, the runtime's `stopGradient` records its results at the unperturbed
 * point and, at perturbed points, returns those recorded values in call order: the
 * stopped values stay constant, exactly as the differentiator assumes (near the point the calls
 * happen in the same order, since control flow does not change).
 */

/**
 * Global slot the runtime's `stopGradient` consults (packages/runtime/src/index.ts): set only
 * while the check evaluates the user's function, so the runtime is the identity otherwise. Every
 * copy of the runtime reads it, however the model imports it (bare, relative, re-exported).
 */
const KEY = '__adgenCheckStopGradient';

function withHook<R>(hook: (x: number) => number, f: () => R): R {
  const g = globalThis as typeof globalThis & { [KEY]?: (x: number) => number };
  g[KEY] = hook;
  try {
    return f();
  } finally {
    delete g[KEY];
  }
}

/** More recorded calls than this mean a loop that does not end: the record would exhaust memory first. */
export const MAX_STOPS = 10_000_000;

/** Runs `f` recording the values of every `stopGradient` call; returns them with f's result. */
export function recordStops<R>(f: () => R, max = MAX_STOPS): { result: R; stops: number[] } {
  const stops: number[] = [];
  const result = withHook((x) => {
    if (stops.length >= max) throw new Error(`stopGradient was called more than ${max} times: the function may not terminate at this point`);
    stops.push(x);
    return x;
  }, f);
  return { result, stops };
}

/** Runs `f` with `stopGradient` returning `stops` in call order instead of its argument. */
export function replayStops<R>(stops: readonly number[], f: () => R): R {
  let next = 0;
  return withHook((x) => stops[next++] ?? x, f);
}
