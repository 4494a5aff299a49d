/**
 * Formats generated code with prettier on a worker thread, so that formatting one file (about
 * a third of a cold run) overlaps with generating the next on a second core. The worker is
 * started on first use and shared; it holds the process open only while a file is being
 * formatted. If it cannot be started, formatting runs on this thread, with the same output.
 */
import { Worker } from 'node:worker_threads';
import type * as prettier from 'prettier';

// plain JavaScript, so it runs the same under tsx (tests) and from the CLI's bundle
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const loading = import(workerData.prettier);
parentPort.on('message', async ({ id, text, options }) => {
  try {
    const prettier = await loading;
    parentPort.postMessage({ id, text: await prettier.format(text, options) });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
`;

interface Pending {
  resolve: (text: string) => void;
  reject: (err: Error) => void;
}

let worker: Worker | null | undefined; // undefined: not started yet; null: unavailable
const pending = new Map<number, Pending>();
let nextId = 0;

function startWorker(): Worker | null {
  try {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { prettier: import.meta.resolve('prettier') } });
    w.on('message', ({ id, text, error }: { id: number; text?: string; error?: string }) => {
      const job = pending.get(id);
      if (!job) return;
      pending.delete(id);
      if (pending.size === 0) w.unref();
      if (error !== undefined) job.reject(new Error(`prettier could not format generated code: ${error}`));
      else job.resolve(text!);
    });
    // a worker that fails or ends leaves no job waiting; later files format on this thread
    const fail = (err: Error) => {
      worker = null;
      for (const job of pending.values()) job.reject(err);
      pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the prettier worker ended (exit code ${code})`)));
    // after the listeners: adding a 'message' listener refs the worker again
    w.unref();
    return w;
  } catch {
    return null;
  }
}

/**
 * Starts the worker ahead of the first file, with code like what it will format, so that
 * prettier loads and warms up on the second core while the program is parsed.
 */
export function prepareFormatter(sample: string, options: prettier.Options): void {
  if (worker !== undefined) return;
  worker = startWorker();
  // the warm-up's answer (id -1) is dropped, and it does not hold the process open
  worker?.postMessage({ id: -1, text: sample, options });
}

export function formatCode(text: string, options: prettier.Options): Promise<string> {
  if (worker === undefined) worker = startWorker();
  const w = worker;
  if (!w) return import('prettier').then((p) => p.format(text, options));
  return new Promise((resolve, reject) => {
    const id = nextId++;
    if (pending.size === 0) w.ref();
    pending.set(id, { resolve, reject });
    w.postMessage({ id, text, options });
  });
}
