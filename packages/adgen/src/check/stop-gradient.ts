/**
 * `stopGradient` for finite differences. The generated derivatives treat `stopGradient(e)` as a
 * constant, but plain finite differences see the identity and would disagree. So the user's
 * module is loaded with a `stopGradient` that records its results at the unperturbed point and,
 * while the check evaluates perturbed points, returns those recorded values in call order: the
 * stopped values stay constant, exactly as the differentiator assumes (near the point the calls
 * happen in the same order, since control flow does not change).
 */

/** The module specifier whose `stopGradient` is replaced. */
export const RUNTIME_SPECIFIER = '@adgen/runtime';

/** Global slot shared by the shim module (loaded through tsx) and this module. */
const KEY = '__adgenCheckStopGradient';

interface TapeState {
  mode: 'off' | 'record' | 'replay';
  tape: number[];
  next: number;
}

function state(): TapeState {
  const g = globalThis as typeof globalThis & { [KEY]?: TapeState };
  g[KEY] ??= { mode: 'off', tape: [], next: 0 };
  return g[KEY];
}

/** Source of the shim module that replaces `@adgen/runtime` in the staged sources. */
export const RUNTIME_SHIM = `// Written by adgen check: the runtime, with a stopGradient that finite differences respect.
export * from '${RUNTIME_SPECIFIER}';
export function stopGradient<T extends number>(x: T): T {
  const s = (globalThis as any)[${JSON.stringify(KEY)}];
  if (!s || s.mode === 'off') return x;
  if (s.mode === 'record') {
    s.tape.push(x);
    return x;
  }
  const v = s.tape[s.next++];
  return (v === undefined ? x : v) as T;
}
`;

/** Runs `f` recording the values of every `stopGradient` call; returns them with f's result. */
export function recordStops<R>(f: () => R): { result: R; stops: number[] } {
  const s = state();
  s.mode = 'record';
  s.tape = [];
  try {
    const result = f();
    return { result, stops: s.tape };
  } finally {
    s.mode = 'off';
  }
}

/** Runs `f` with `stopGradient` returning `stops` in call order instead of its argument. */
export function replayStops<R>(stops: readonly number[], f: () => R): R {
  const s = state();
  s.mode = 'replay';
  s.tape = [...stops];
  s.next = 0;
  try {
    return f();
  } finally {
    s.mode = 'off';
  }
}
