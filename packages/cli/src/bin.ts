#!/usr/bin/env node
import { main } from './cli.js';

const ac = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('\nstopping after this step (Ctrl-C again to quit now)...\n');
  ac.abort();
  process.once('SIGINT', () => process.exit(130));
});
process.exitCode = await main(process.argv, undefined, ac.signal);
