/**
 * Public data types of the adgen compiler API (`generate`, `check`). Kept in a leaf module so
 * every phase and the CLI can import them without cycles.
 */

/** One diagnostic, formatted like tsc: `file:line:col - error ADxxxx: message`. */
export interface Diagnostic {
  code: string; // stable code, e.g. 'AD1003'
  message: string;
  file: string; // path as given / relative to cwd
  line: number; // 1-based
  column: number; // 1-based
  category: 'error' | 'warning';
}

/** The type of a parameter as adgen understands it. */
export type ParamType = 'number' | 'boolean' | 'number[]' | 'Float64Array' | 'Float32Array' | 'other';

export interface ParamInfo {
  name: string;
  type: ParamType;
  /** true when the parameter is an input we differentiate with respect to (@wrt or default). */
  active: boolean;
  /** true for the parameter named by `@out`. */
  out: boolean;
  /** the default value, when it is a number (`steps = 400`): what `adgen check` passes when inactive */
  default?: number;
}

/** What a differentiable function returns. */
export type ReturnKind =
  | { kind: 'number' }
  | { kind: 'array'; type: 'number[]' | 'Float64Array' | 'Float32Array' } // of run-time length
  | { kind: 'tuple'; length: number }
  | { kind: 'void' }; // results written into the @out array

/** Metadata about one `@differentiable` function, as seen by the front end. */
export interface UnitInfo {
  /** function name, e.g. 'loss'; the generated exports are lossGrad, lossVjp, lossJvp, lossJacobian */
  name: string;
  /** absolute path of the source file */
  file: string;
  line: number;
  params: ParamInfo[];
  returns: ReturnKind;
  /** name of the @out parameter, if any */
  out?: string;
  /** raw text of each `@check` tag (parsed by the check module) */
  checkTags: string[];
  /** true when tagged @gpu */
  gpu: boolean;
  /** true when tagged @differentiable (false for helpers differentiated on demand) */
  tagged: boolean;
  /** true when it rounds intermediate values to single precision (a local Float32Array, `Math.fround`) */
  roundsToFloat32?: boolean;
}

/** One generated derivative file. */
export interface GeneratedFile {
  /** absolute path of the source `.ts` file */
  sourcePath: string;
  /** absolute path of the `.ad.ts` file written (or that would be written) */
  outPath: string;
  /** full text of the generated file */
  text: string;
  /** the differentiable functions of this file that have public exports */
  units: UnitInfo[];
  /** absolute paths of the other sources whose generated derivatives this file imports */
  dependsOn?: string[];
}

export interface GenerateOptions {
  /** write the files (default true); false keeps everything in memory */
  write?: boolean;
  /** directory for generated files (default: beside each source) */
  outDir?: string;
}

export interface GenerateResult {
  files: GeneratedFile[];
  diagnostics: Diagnostic[];
}
