/**
 * Runs `checkUnit` in a worker thread with a time limit per function.
 *
 * A random point can make a user's loop run forever (a stride drawn as 0, a Newton iteration
 * that never meets its tolerance). On the main thread that would hang `adgen check`; in a
 * worker (bin/check-worker.js) the watchdog terminates it, the function FAILs with a message
 * that says so, and the next function gets a fresh worker. One worker serves every function
 * until then, so its modules load once.
 */

import { Worker } from 'node:worker_threads';
import type { UnitInfo } from '../api-types.ts';
import type { CheckResult } from './evaluate.ts';

/** Default limit for checking one function, in seconds. */
export const DEFAULT_TIMEOUT_S = 120;

export interface SandboxJob {
  unit: UnitInfo;
  /** file URLs of the staged generated module and of the staged source */
  generatedUrl: string;
  sourceUrl: string;
  seed: number;
  points: number;
}

export type SandboxOutcome =
  | { kind: 'result'; result: CheckResult }
  | { kind: 'load-error'; message: string }
  | { kind: 'timeout'; loading: boolean }
  | { kind: 'crash'; message: string };

type Reply = { id: number; started: true } | { id: number; result: CheckResult } | { id: number; loadError: string };

/** Least limit for starting a worker and loading a file's modules (the function's own limit if longer). */
const LOAD_LIMIT_MS = 30_000;
/** setTimeout's largest delay (a longer one fires at once). */
const MAX_DELAY_MS = 2_147_483_647;

// `../../bin` from both src/check/ and the CLI bundle's dist/cli/
const WORKER_URL = new URL('../../bin/check-worker.js', import.meta.url);

export class CheckSandbox {
  private worker: Worker | undefined;
  private nextId = 0;

  constructor(private readonly timeoutMs: number) {}

  run(job: SandboxJob): Promise<SandboxOutcome> {
    // execArgv: [] because the parent's flags (`--import tsx` under a test runner) resolve against
    // the current directory, which may be the user's project; the worker registers tsx itself.
    // TSX_DISABLE_CACHE: tsx's transform cache would be a directory left in the temporary folder;
    // the staged files are new on every run anyway.
    // stdout: what the model prints goes to stderr, so that `--json` output stays JSON alone
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<SandboxOutcome>((resolve) => {
      let timer: ReturnType<typeof setTimeout>;
      const finish = (outcome: SandboxOutcome, stop: boolean): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (stop) this.discard(worker);
        resolve(outcome);
      };
      const onMessage = (reply: Reply): void => {
        if (reply.id !== id) return;
        if ('started' in reply) {
          // the modules are loaded: from here on the time is the function's
          clearTimeout(timer);
          timer = setTimeout(() => finish({ kind: 'timeout', loading: false }, true), Math.min(this.timeoutMs, MAX_DELAY_MS));
        } else if ('loadError' in reply) finish({ kind: 'load-error', message: reply.loadError }, false);
        else finish({ kind: 'result', result: reply.result }, false);
      };
      const onError = (err: unknown): void => finish({ kind: 'crash', message: err instanceof Error ? err.message : String(err) }, true);
      const onExit = (code: number): void => finish({ kind: 'crash', message: `the check's worker exited with code ${code}` }, true);
      // starting the worker and loading the modules (their top-level code may loop too) get a limit of their own
      timer = setTimeout(() => finish({ kind: 'timeout', loading: true }, true), Math.min(Math.max(this.timeoutMs, LOAD_LIMIT_MS), MAX_DELAY_MS));
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, ...job });
    });
  }

  private start(): Worker {
    const worker = new Worker(WORKER_URL, { execArgv: [], env: { ...process.env, TSX_DISABLE_CACHE: '1' }, stdout: true });
    worker.stdout.pipe(process.stderr, { end: false });
    return worker;
  }

  /** Stops the worker (the next job starts a fresh one). */
  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
