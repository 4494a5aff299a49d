/**
 * The shape of generated functions, between the transformers and the emitter. Bodies are target
 * IR (ir/nodes.ts); parameter and return types are TypeScript type text, parsed by the emitter.
 */
import type { Stmt } from './nodes.ts';

export interface TargetFunction {
  name: string;
  exported: boolean;
  /** TSDoc text (one paragraph) */
  doc: string;
  /** parameters; `init` is a default value */
  params: { name: string; type: string; init?: import('./nodes.ts').Expr }[];
  returnType: string | null;
  body: Stmt[];
}

/** Module-level declarations a generated file needs (scratch values of kernels). */
export interface TargetGlobal {
  name: string;
  /**
   * default true: other files' derivative code reads kernels' scratch values, through a second
   * binding exported as `names.sharedSlot(name)`; the name itself stays private
   */
  exported?: boolean;
  type: string;
  /** initial value, as target IR text-free expression */
  init: import('./nodes.ts').Expr;
  mutable: boolean;
}
