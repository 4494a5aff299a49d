/**
 * Names of everything adgen generates for a function `f`, in one place so the transformers,
 * the emitter and cross-file imports agree.
 */
/**
 * Module-level names of the helpers generated files carry (emit/prelude.ts, the GPU host's row
 * helpers). A user function whose private copy `_f` would be one of them gets `_fPrimal`.
 */
export const RESERVED = new Set([
  '_tape', '_sp', '_tapePeak', '_push', '_reserve', '_pop', '_notePeak', '_pushArray', '_popArray', '_peekArray', '_pushSlice', '_popSlice', '_peekSlice', '_stridedRange', '_pushStrided', '_popStrided', '_peekStrided',
  '_refs', '_pushRef', '_popRef', '_tangentArray', '_Column', '_jacobian', '_copyEach', '_copyInto', '_scratchCopy', '_zeroSeed',
  '_checkIndex', '_checkCotangent', '_sumRow', '_storeRow', '_addRow', '_addRowSums',
]);

/**
 * Names of compiler-made locals, without their `_` (analyze, reverse, forward, optimize): a
 * numbered temporary (`_t1`, `_b0`, `_brk0`), a fixed name (`_ret`, `_seed`), or a derived one
 * (`_xLength`, `_XAt2`, `_s_barFinal0`). A private primal copy named like one would be hidden by
 * it inside derivative code, so it gets the `Primal` suffix too.
 */
const LOCAL_LIKE = [
  /^(?:t|b|c|n|k|j|i|s|tp|sp|ret|out|branch|acc|sums|start|end|brk|cont|seed|value|tangent|cotangent|rows|return|gpu|dot|done|bar|final)\d*$/,
  /(?:Length|At|All|Off|Zeros|BarSink|Final|_element|_)\d*$/,
  /_\d+$/,
];

/**
 * Whether a generated local holds a derivative: an adjoint or a tangent (`s_bar`, `x_dot`,
 * `_t0_bar`, `amx_bar_asum`, `x_bar_2`). User names cannot look like that (`s_bar` is renamed).
 */
export const isDerivativeName = (name: string): boolean => /_(bar|dot)(_|\d|$)/.test(name);

export const names = {
  grad: (f: string) => `${f}Grad`,
  vjp: (f: string) => `${f}Vjp`,
  jvp: (f: string) => `${f}Jvp`,
  jacobian: (f: string) => `${f}Jacobian`,
  /** private copy of the primal, called where no derivative flows */
  primal: (f: string) => (RESERVED.has(`_${f}`) || LOCAL_LIKE.some((r) => r.test(f)) ? `_${f}Primal` : `_${f}`),
  /** forward-mode kernel: every numeric parameter followed by its tangent; returns the value */
  jvpKernel: (f: string) => `_${f}Jvp`,
  /** a forward kernel specialised to the tangents of some parameters: `_hJvpWrt_t` (tag: their names, joined by `_`) */
  jvpKernelWrt: (f: string, tag: string) => `_${f}JvpWrt_${tag}`,
  /** where the forward kernel leaves the tangent of a scalar result */
  jvpKernelDot: (f: string) => `_${f}JvpDot`,
  /** reverse-mode kernel (joint mode): recomputes f, then accumulates adjoints */
  vjpKernel: (f: string) => `_${f}Vjp`,
  /** a reverse kernel specialised to the adjoints of some parameters: `_hVjpWrt_t` */
  vjpKernelWrt: (f: string, tag: string) => `_${f}VjpWrt_${tag}`,
  /** where the reverse kernel leaves the adjoints of scalar parameters */
  vjpKernelBar: (f: string) => `_${f}VjpBar`,
  /**
   * the exported second binding of a module-level slot (`_gJvpDotShared`): other files import
   * it under the slot's name, while the file's own code uses the private binding (V8 reaches an
   * exported binding through a cell, which costs a lot in hot loops)
   */
  sharedSlot: (g: string) => `${g}Shared`,
  gpuFactory: (f: string) => `create${f[0]!.toUpperCase()}${f.slice(1)}Gpu`,
  tangentOf: (v: string) => `${v}_dot`,
  adjointOf: (v: string) => `${v}_bar`,
};
