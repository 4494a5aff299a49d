/** Input sizes and ranges for the language fixtures (test/fixtures/lang). */
import type { InputSpec } from './harness.ts';

export const SPECS: Record<string, InputSpec> = {
  ops: { ranges: { a: [0.2, 1], b: [-1, 1] } },
  roots: { ranges: { x: [0.2, 1], y: [-1, 1] } },
  piecewise: { ranges: { x: [0.05, 0.45], y: [0.55, 0.95] } },
  safeSqrt: { ranges: { x: [0.1, 2] } },
  sumLoop: { fixed: { n: 7 } },
  recurrence: { ranges: { x: [0.2, 0.8], a: [0.5, 1] } },
  untilSmall: { ranges: { x: [0.1, 0.5] } },
  doWhile: { ranges: { x: [-0.5, 0.5] } },
  nestedLoops: { fixed: { n: 3 }, sizes: { A: 9, x: 3 } },
  softplus: { ranges: { k: [0.5, 2] }, sizes: { x: 5, out: 5 } },
  matvec: { sizes: { A: 16, x: 4 } },
  matvecRows: { sizes: { A: 16, x: 4, y: 4 } },
  dot: { sizes: { a: 5, b: 5 } },
  literals: { sizes: { v: 3 } },
  float32: { ranges: { w: [-1, 1], a: [-1, 1] }, h: 1e-3 },
  halvedSingle: { h: 1e-3 },
  listedArrays: { h: 1e-3 },
  gammln: { ranges: { xx: [0.5, 4] } },
  clenshaw: { ranges: { t: [-1, 1] } },
  packedResiduals: { sizes: { x: 4, r: 6 } },
  mixedReturns: { ranges: { th: [0.2, 1.8] } },
  readsInOrder: { sizes: { x: 6 } },
  vanDerPol: { fixed: { steps: 40 }, ranges: { x0: [-1, 1], v0: [-1, 1], mu: [0.5, 1.5] } },
  book: { sizes: { s: 6, strikes: 6 }, ranges: { s: [80, 120], strikes: [90, 110], r: [0.01, 0.05], sigma: [0.1, 0.4] }, fixed: { t: 1 } },
};

/** Tolerances: finite differences of float32 inputs are coarse. */
export const TOLERANCE: Record<string, number> = { float32: 1e-3, halvedSingle: 1e-3, listedArrays: 1e-3 };

Object.assign(SPECS, {
  rosenbrock: { sizes: { x: 5 } },
  gmm: { sizes: { alphas: 2, means: 4, icf: 6, x: 10 }, fixed: { d: 2, k: 2 } },
  triangularSolve: { sizes: { L: 16, b: 4 }, fixed: { n: 4 } },
  pendulum: { fixed: { steps: 30 }, ranges: { theta0: [0.2, 1], damping: [0.1, 0.5] } },
  cubeRoot: { ranges: { a: [0.5, 3] } },
  lstm: { sizes: { weights: 12, seq: 5 }, fixed: { hidden: 3 } },
  reproject: { sizes: { cam: 5, pts: 9, obs: 6, res: 6 }, ranges: { cam: [0.5, 1], pts: [0.5, 1] } },
  scopes: { sizes: { v: 3 } },
  conditionalWrites: { sizes: { v: 6 } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  doubleSum: { sizes: { A: 9, x: 3 } },
  normalize: { sizes: { v: 3 }, ranges: { v: [0.5, 1] } },
  cumprod: { ranges: { x: [0.5, 1.5] } },
  searchy: { ranges: { t: [0.5, 1.5] } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  uninitialised: { fixed: { flag: 1 } },
  powForms: { ranges: { x: [0.5, 2] } },
  compound: { ranges: { s: [0.5, 1] } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  scratchArrays: { sizes: { x: 6, w: 2 }, fixed: { k: 3 } },
  carriedScratch: { sizes: { x: 5 } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  withDefaults: { ranges: { x: [0.5, 2] }, sizes: { v: 3 } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  triangularMixture: { sizes: { mu: 6, l: 6, x: 9 }, fixed: { d: 3, k: 2 } },
  mapThenSum: { sizes: { x: 4, w: 4 } },
  flaggedMap: { sizes: { x: 4, out: 4 }, ranges: { x: [0.1, 0.9] } },
  rowSums: { sizes: { a: 9, v: 3 }, fixed: { n: 3 }, ranges: { a: [-0.5, 0.5], v: [-0.8, 0.8] } },
  nestedScratch: { sizes: { x: 6 }, fixed: { m: 3 } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  outerMapInnerScratch: { sizes: { x: 3, out: 3 }, fixed: { m: 3 } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  fractionalTrips: { sizes: { x: 3 }, fixed: { m: 2.5 } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  twoLayers: { sizes: { A: 9, x: 3 } },
  mlp: { sizes: { A: 9, x: 3 } },
  afterScaling: { sizes: { v: 3 }, ranges: { v: [-1.4, 1.4] } },
  importedArrayCall: { ranges: { k: [0.5, 2] } },
  nestedCalls: { sizes: { W: 9, x: 3 } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  cStyle: { sizes: { L: 4, lambda: 4, z: 7 }, ranges: { z: [-1, 1], L: [0.2, 1], lambda: [0.2, 1] } },
  nested: { fixed: { n: 3 }, sizes: { A: 9, x: 3 } },
  branches: { sizes: { x: 6 }, ranges: { x: [-1, 1], c: [0.5, 1.5] } },
  doTemps: { fixed: { n: 5 } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  cCounters: { sizes: { x: 6, y: 6 } },
  counterAfter: { sizes: { x: 7 }, ranges: { x: [-1, 1], c: [0.3, 0.6] } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  armsFused: { sizes: { x: 6 }, ranges: { x: [-1, 1], c: [0.5, 1.5] } },
  armsBreak: { sizes: { x: 6 }, ranges: { x: [-1, 1], c: [0.5, 1.5] } },
} satisfies Record<string, InputSpec>);

Object.assign(SPECS, {
  clenshawNs: { ranges: { t: [-1, 1] } },
} satisfies Record<string, InputSpec>);
