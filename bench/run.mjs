// Runs the ebmjs benchmarks in one process and writes each result to bench/results/*.json.
//   node bench/run.mjs                 all benches
//   node bench/run.mjs conv-step       only the named ones
//   node bench/run.mjs --quick         fewer repetitions (smoke run)
// Benches import built packages: run `npm run build` (or the package's tsc build) first.
// A bench that fails is reported and the others still run; the exit code is then 1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, machineInfo, saveResult } from './lib.mjs';

/** Registered benches: name -> module path (relative to bench/). Add new benches here. */
const BENCHES = {
  'conv-step': './conv-step.mjs',
  'cd-iteration': './cd-iteration.mjs',
  'browser-step': './browser-step.mjs',
  'webgl-step': './webgl-step.mjs',
  'rbm-sklearn': './rbm-sklearn.mjs',
  'score-matching': './score-matching.mjs',
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// Names are the leading non-flag arguments; everything else is passed to the benches.
const wanted = [];
for (const a of args) {
  if (a.startsWith('--') || !(a in BENCHES)) break;
  wanted.push(a);
}
if (args[0] !== undefined && !args[0].startsWith('--') && wanted.length === 0) {
  console.error(`unknown bench '${args[0]}'; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
const available = Object.keys(BENCHES).filter((n) => existsSync(join(benchDir, BENCHES[n])));

const machine = machineInfo();
console.log(
  `ebmjs bench  ${new Date().toISOString()}  ${machine.cpuModel} x${machine.logicalCpus}  node ${machine.node}`,
);
let failed = 0;
for (const name of wanted.length ? wanted : available) {
  console.log(`\n== ${name}`);
  const t0 = performance.now();
  try {
    const mod = await import(BENCHES[name]);
    console.log(mod.description);
    const result = await mod.run({ quick, args, log: console.log });
    const seconds = (performance.now() - t0) / 1000;
    const path = saveResult(name, {
      date: new Date().toISOString(),
      machine,
      quick,
      seconds,
      ...result,
    });
    console.log(`(${seconds.toFixed(0)} s; saved ${path})`);
  } catch (e) {
    failed++;
    console.error(`bench ${name} failed: ${e?.stack ?? e}`);
  }
}
process.exitCode = failed ? 1 : 0;
