// Bench "score-matching": ms per training step (loss + weight gradients + Adam update) of each
// loss of @ebmjs/score-matching on energy-nets' mlpEnergyNet (swish, hidden [128, 128]), batch
// 128, for 2-D and 784-D inputs, on the wasm and cpu backends, against PyTorch CPU (1 and 2
// threads) running the same definitions (bench/score_matching_torch.py) in the same run.
//   dsm: denoising SM, one sigma (second-order gradients)
//   ssm: sliced SM, variance-reduced, 1 Rademacher projection (third order)
//   esm: exact SM: exact trace at 2-D (batch tiled 2x), Hutchinson (1 probe) at 784-D
//   nce: NCE, ratio 1, Gaussian noise fitted to the data, learnable log Z (first order)
// Standalone: node bench/score-matching.mjs [--quick]; or node bench/run.mjs score-matching.
// Needs built dist/ of tensor-backend, energy-nets and score-matching.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mlpEnergyNet } from '@ebmjs/energy-nets';
import {
  denoisingScoreMatching,
  exactScoreMatching,
  gaussianNoise,
  nce,
  slicedScoreMatching,
} from '@ebmjs/score-matching';
import { initBackend } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { benchDir, fmtMs, fmtRatio, machineInfo, table, timeIt } from './lib.mjs';

export const name = 'score-matching';
export const description =
  'Training step of DSM / SSM-VR / exact SM / NCE on an MLP energy (2-D and 784-D, batch 128): wasm and cpu vs PyTorch CPU';

const BATCH = 128;
const HIDDEN = [128, 128];
const LOSSES = ['dsm', 'ssm', 'esm', 'nce'];
const DIMS = [2, 784];

/** One training step's function for a loss, a dimension and the active backend. */
function makeStep(loss, dim) {
  const net = mlpEnergyNet({ inputDim: dim, hidden: HIDDEN, seed: 1 });
  const data = tf.randomNormal([4 * BATCH, dim], 0, 1, 'float32', 2);
  const batches = [0, 1, 2, 3].map((i) => data.slice(i * BATCH, BATCH));
  const optimizer = tf.train.adam(1e-3);
  const logZ = tf.variable(tf.scalar(0));
  const noise = loss === 'nce' ? gaussianNoise(data) : null;
  const vars = loss === 'nce' ? [...net.variables, logZ] : net.variables;
  let i = 0;
  const lossOf = (x) => {
    const seed = 1000 + i;
    if (loss === 'dsm') return denoisingScoreMatching(net.energy, x, { sigma: 0.1, seed });
    if (loss === 'ssm') return slicedScoreMatching(net.energy, x, { varianceReduced: true, seed });
    if (loss === 'esm') return exactScoreMatching(net.energy, x, { seed }); // exact if D <= 32
    return nce(net.energy, x, { noise, logZ, seed });
  };
  const step = () => {
    const x = batches[i++ % 4];
    const { value, grads } = tf.variableGrads(() => lossOf(x), vars);
    optimizer.applyGradients(grads);
    const v = value.dataSync()[0]; // sync, as fitScoreMatching does for its history
    tf.dispose([value, grads]);
    if (!Number.isFinite(v)) throw new Error(`${loss}-${dim}: loss ${v}`);
  };
  const dispose = () => {
    net.dispose();
    tf.dispose([data, ...batches, logZ]);
    optimizer.dispose();
    noise?.dispose();
  };
  return { step, dispose };
}

function torchReference(reps, cases) {
  if (process.env.EBMJS_BENCH_NO_TORCH) return null;
  const script = join(benchDir, 'score_matching_torch.py');
  const r = spawnSync(
    '/usr/bin/python3',
    [script, '--reps', String(reps), '--cases', cases.join(',')],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (r.status !== 0) return { error: (r.stderr || String(r.error)).trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** Times one case on the active backend; checks the tensor count stays flat. */
function timeCase(backend, loss, dim, reps, log) {
  const { step, dispose } = makeStep(loss, dim);
  step(); // creates the optimiser's slots: not counted as growth
  const before = tf.memory().numTensors;
  const r = timeIt(step, { warmup: 1, reps });
  const grown = tf.memory().numTensors - before;
  if (grown !== 0) log(`warning: ${backend} ${loss}-${dim} grew ${grown} tensors`);
  dispose();
  return r;
}

export async function run({ quick = false, log = console.log } = {}) {
  // Case by case, wasm then PyTorch (1 and 2 threads) right after it, so that machine-load
  // drift hits both sides of each ratio alike; the slow pure-JS cpu backend runs last, for scale.
  const wasm = {};
  const cpu = {};
  const torch = { 1: {}, 2: {} };
  let torchVersion = null;
  const reps = quick ? 3 : 20;
  for (const dim of DIMS) {
    for (const loss of LOSSES) {
      const key = `${loss}-${dim}`;
      // as users run it: initBackend registers ebmjs's wasm kernel fills
      await initBackend({ backend: 'wasm' });
      wasm[key] = timeCase('wasm', loss, dim, reps, log);
      const t = torchReference(reps, [key]);
      if (t && !t.error) {
        torchVersion = t.torch;
        torch[1][key] = t.threads['1'][key];
        torch[2][key] = t.threads['2'][key];
      } else if (t?.error) log(`PyTorch reference unavailable: ${t.error}`);
    }
  }
  await initBackend({ backend: 'cpu' });
  for (const dim of DIMS) {
    for (const loss of LOSSES) {
      cpu[`${loss}-${dim}`] = timeCase('cpu', loss, dim, quick ? 2 : dim > 2 ? 5 : 10, log);
    }
  }
  const rows = [
    ['case', 'wasm ms', 'torch 1t', 'torch 2t', 'cpu ms', 'wasm/t1', 'wasm/t2', 'min wasm/t1'],
  ];
  for (const dim of DIMS) {
    for (const loss of LOSSES) {
      const key = `${loss}-${dim}`;
      const w = wasm[key];
      const a = torch[1][key];
      const b = torch[2][key];
      rows.push([
        key,
        fmtMs(w.medianMs),
        fmtMs(a?.medianMs),
        fmtMs(b?.medianMs),
        fmtMs(cpu[key].medianMs),
        fmtRatio(w.medianMs, a?.medianMs),
        fmtRatio(w.medianMs, b?.medianMs),
        fmtRatio(w.minMs, a?.minMs),
      ]);
    }
  }
  log(table(rows));
  log('(ms per training step, medians; last column: ratio of minima, the unloaded-cost estimate)');
  return {
    batch: BATCH,
    hidden: HIDDEN,
    tfjs: tf.version.tfjs,
    torch: torchVersion,
    wasm,
    cpu,
    torchTimes: torch,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const m = machineInfo();
  console.log(`${name}: ${description}\n${m.cpuModel} x${m.logicalCpus}, node ${m.node}`);
  await run({ quick: process.argv.includes('--quick') });
}
