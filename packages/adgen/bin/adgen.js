#!/usr/bin/env node
import { loadCli } from './load-cli.js';
// `adgen check … | head` closes the pipe early: that is the reader's choice, not an error
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
const main = await loadCli();
process.exitCode = await main(process.argv.slice(2));
