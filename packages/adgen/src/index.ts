/**
 * adgen's public API. `generate()` turns `@differentiable` functions into derivative files;
 * `formatDiagnostics()` prints what went wrong the way tsc does.
 */
export { createSession, generate, expandInputs } from './pipeline.ts';
export { formatDiagnostic, formatDiagnostics } from './diagnostics/format.ts';
export { HEADER_MARK } from './emit/index.ts';
export type * from './api-types.ts';
