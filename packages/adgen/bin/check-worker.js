/**
 * The worker thread `adgen check` evaluates functions in (src/check/sandbox.ts), so that a
 * function whose loop never ends at a random point can be stopped: a worker can be terminated,
 * a synchronous loop on the main thread cannot. Plain JavaScript, because a worker does not
 * inherit the loader the CLI runs under; the TypeScript modules come through tsx's `tsImport`.
 *
 * Message in: { id, generatedUrl, sourceUrl, unit, seed, points }.
 * Messages out: { id, started } once the modules are loaded (the time limit starts), then
 * { id, result } (a CheckResult); or { id, loadError } (a module did not load).
 */
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const here = import.meta.url;
const { checkUnit } = await tsImport(new URL('../src/check/evaluate.ts', here).href, here);
/** url → the module's promise: each generated module and source is loaded once per worker */
const modules = new Map();
const load = (url) => {
  if (!modules.has(url)) modules.set(url, tsImport(url, here));
  return modules.get(url);
};

parentPort.on('message', async (job) => {
  let generated;
  let source;
  try {
    generated = await load(job.generatedUrl);
    source = await load(job.sourceUrl);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    parentPort.postMessage({ id: job.id, loadError: why });
    return;
  }
  parentPort.postMessage({ id: job.id, started: true });
  const primal = source[job.unit.name];
  const result = checkUnit(
    { unit: job.unit, primal: typeof primal === 'function' ? primal : undefined, generated },
    { seed: job.seed, points: job.points },
  );
  parentPort.postMessage({ id: job.id, result });
});
