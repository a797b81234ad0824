// Bench "conv-step": the book's conv energy net (as plain tfjs ops) at batch 128.
//   (a) Langevin step  = gradient of sum(E(x)) w.r.t. the input batch x
//   (b) training step  = gradient of mean(E(x)) w.r.t. all weights
//   (c) forward only   = E(x), for scale
// on: wasm with ebmjs's conv-gradient fills (input gradient 'subpixel', the default, which picks
//     'subpixel-packed' or 'subpixel-rows' per layer), and with each input-gradient method forced
//     ('subpixel-packed', 'subpixel-rows', 'dilated'),
//     stock tfjs-backend-wasm (no Conv2DBackpropFilter: Langevin step only),
//     the pure-JS cpu backend (slow: 3 Langevin reps, one training step),
//     and, if Debian's python3 has torch, PyTorch CPU via bench/reference/torch_ebm.py (its
//     Langevin step also adds noise and clamps; its training iteration is 60 steps + Adam, so
//     only its Langevin step is comparable here).
// wasm variants are timed in interleaved rounds so machine-load drift hits them equally.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { benchDir, fmtMs, fmtRatio, summarize, table, timeIt } from './lib.mjs';

export const name = 'conv-step';
export const description =
  'Book conv energy net, batch 128: Langevin input-gradient step and weight-gradient training step on wasm (ebmjs fills vs stock) and cpu';

const BATCH = 128;

/** Deterministic values in [-1, 1) (32-bit LCG). */
function uniform(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Layer shapes of the book's net: conv 16 k5, 32 k3, 64 k3, 64 k3 (stride 2, same), dense 64, 1. */
const SHAPES = [
  [5, 5, 1, 16],
  [16],
  [3, 3, 16, 32],
  [32],
  [3, 3, 32, 64],
  [64],
  [3, 3, 64, 64],
  [64],
  [256, 64],
  [64],
  [64, 1],
  [1],
];

/** Weights as plain tensors on the active backend (He-style scale, deterministic). */
function makeWeights() {
  return SHAPES.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length === 1 ? 1 : shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const scale = shape.length === 1 ? 0.01 : Math.sqrt(2 / fanIn);
    return tf.tensor(
      uniform(n, 1000 + i).map((v) => v * scale),
      shape,
    );
  });
}

const swish = (h) => tf.mul(h, tf.sigmoid(h));

/** E(x) for x [N, 32, 32, 1] -> [N], plain ops (conv2d + bias + swish), no tf.layers. */
function energy(x, w) {
  let h = x;
  for (let l = 0; l < 4; l++) h = swish(tf.add(tf.conv2d(h, w[2 * l], 2, 'same'), w[2 * l + 1]));
  h = tf.reshape(h, [h.shape[0], -1]);
  h = swish(tf.add(tf.matMul(h, w[8]), w[9]));
  return tf.reshape(tf.add(tf.matMul(h, w[10]), w[11]), [-1]);
}

function makeInput() {
  return tf.tensor4d(uniform(BATCH * 32 * 32, 7), [BATCH, 32, 32, 1]);
}

/** Each step returns a Float32Array (read after tidy: tidy scans returned values). */
function steps(x, w) {
  const inputGrad = tf.grad((xx) => tf.sum(energy(xx, w)));
  const weightGrads = tf.grads((...ws) => tf.mean(energy(x, ws)));
  return {
    langevin() {
      const g = tf.tidy(() => inputGrad(x));
      const v = g.dataSync();
      g.dispose();
      return v;
    },
    train() {
      const gs = tf.tidy(() => weightGrads(w));
      const v = gs.map((g) => g.dataSync());
      tf.dispose(gs);
      return v;
    },
    forward() {
      const e = tf.tidy(() => energy(x, w));
      const v = e.dataSync();
      e.dispose();
      return v;
    },
  };
}

function maxRelDiff(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** PyTorch reference (same machine, same run), or null if python3/torch/the script is missing. */
function torchReference(log) {
  const script = join(benchDir, 'reference/torch_ebm.py');
  if (!existsSync(script) || process.env.EBMJS_BENCH_NO_TORCH) return null;
  const r = spawnSync('/usr/bin/python3', [script, '--batch', String(BATCH), '--iters', '1'], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.status !== 0) {
    log(
      `(pytorch reference skipped: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`,
    );
    return null;
  }
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return null;
  }
}

export async function run({ quick = false, log = console.log } = {}) {
  const dist = join(benchDir, '../packages/tensor-backend/dist/kernels/wasm-conv-grads.js');
  if (!existsSync(dist)) {
    throw new Error('build first: npx tsc -p packages/tensor-backend/tsconfig.build.json');
  }
  const kernels = await import(dist);
  const wasmReps = quick ? 5 : 15;
  const wasmTrainReps = quick ? 3 : 9;
  const cpuReps = quick ? 1 : 3;

  // ---- wasm ----
  await tf.setBackend('wasm');
  await tf.ready();
  const env = {
    tfjs: tf.version.tfjs,
    wasmSimd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    wasmThreads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
  const x = makeInput();
  const w = makeWeights();
  const s = steps(x, w);
  const fill = (inputGradMethod) => () => kernels.registerWasmKernelFills({ inputGradMethod });
  const variants = {
    'wasm-fills': fill('subpixel'),
    'wasm-fills-packed': fill('subpixel-packed'),
    'wasm-fills-rows': fill('subpixel-rows'),
    'wasm-fills-dilated': fill('dilated'),
    'wasm-stock': () => kernels.unregisterWasmKernelFills(),
  };
  const results = {};
  const samples = {};
  const checks = {};
  const outputs = {};
  for (const [v, setup] of Object.entries(variants)) {
    setup();
    outputs[v] = s.langevin();
    for (let i = 0; i < 2; i++) s.langevin(); // warm-up (XNNPACK operators, allocator)
    samples[v] = { langevin: [], train: [] };
  }
  const numTensors0 = tf.memory().numTensors;
  for (let r = 0; r < wasmReps; r++) {
    for (const [v, setup] of Object.entries(variants)) {
      setup();
      const t0 = performance.now();
      s.langevin();
      samples[v].langevin.push(performance.now() - t0);
    }
  }
  const fillVariants = Object.keys(variants).filter((v) => v !== 'wasm-stock');
  for (const v of fillVariants) {
    variants[v]();
    s.train();
  }
  for (let r = 0; r < wasmTrainReps; r++) {
    for (const v of fillVariants) {
      variants[v]();
      const t0 = performance.now();
      s.train();
      samples[v].train.push(performance.now() - t0);
    }
  }
  if (tf.memory().numTensors !== numTensors0) throw new Error('conv-step bench leaked tensors');
  variants['wasm-fills']();
  const wasmForward = timeIt(s.forward, { warmup: 2, reps: wasmReps });
  const wasmTrainOut = s.train();
  for (const v of Object.keys(variants)) {
    results[v] = {
      langevin: summarize(samples[v].langevin),
      train: samples[v].train.length ? summarize(samples[v].train) : null,
      forward: wasmForward,
    };
  }
  for (const v of fillVariants) {
    checks[`langevin ${v} vs wasm-stock (max rel diff)`] = maxRelDiff(
      outputs[v],
      outputs['wasm-stock'],
    );
  }
  tf.dispose([x, ...w]);

  // ---- cpu ----
  await tf.setBackend('cpu');
  const xc = makeInput();
  const wc = makeWeights();
  const sc = steps(xc, wc);
  const cpuLangevinOut = sc.langevin(); // doubles as warm-up
  const cpuLangevin = timeIt(sc.langevin, { warmup: 0, reps: cpuReps });
  // One cpu training step takes 15-60 s: time the single run whose output we also check.
  const t0 = performance.now();
  const cpuTrainOut = sc.train();
  const cpuTrain = summarize([performance.now() - t0]);
  const cpuForward = timeIt(sc.forward, { warmup: 1, reps: cpuReps });
  results.cpu = { langevin: cpuLangevin, train: cpuTrain, forward: cpuForward };
  checks['langevin fills vs cpu (max rel diff)'] = maxRelDiff(
    outputs['wasm-fills'],
    cpuLangevinOut,
  );
  checks['train grads fills vs cpu (worst max rel diff over weights)'] = Math.max(
    ...wasmTrainOut.map((g, i) => maxRelDiff(g, cpuTrainOut[i])),
  );
  tf.dispose([xc, ...wc]);
  await tf.setBackend('wasm');
  kernels.registerWasmKernelFills({ inputGradMethod: 'subpixel' });

  // ---- PyTorch reference ----
  const torch = torchReference(log);

  // ---- report ----
  const f = results['wasm-fills'];
  const rows = [
    [
      'backend',
      'langevin ms',
      '(min)',
      'train ms',
      'forward ms',
      'langevin vs fills',
      'train vs fills',
    ],
  ];
  for (const [v, r] of Object.entries(results)) {
    rows.push([
      v,
      fmtMs(r.langevin.medianMs),
      fmtMs(r.langevin.minMs),
      r.train ? fmtMs(r.train.medianMs) : 'n/a (no kernel)',
      fmtMs(r.forward.medianMs),
      fmtRatio(r.langevin.medianMs, f.langevin.medianMs),
      r.train ? fmtRatio(r.train.medianMs, f.train.medianMs) : 'n/a',
    ]);
  }
  if (torch) {
    rows.push([
      `pytorch-cpu ${torch.threads}t`,
      fmtMs(torch.langevin_step_ms),
      '',
      'n/a',
      'n/a',
      fmtRatio(torch.langevin_step_ms, f.langevin.medianMs),
      'n/a',
    ]);
  }
  log(table(rows));
  log(
    `medians of ${wasmReps} (wasm langevin, interleaved rounds), ${wasmTrainReps} (wasm train), ` +
      `${cpuReps} (cpu langevin) reps after warm-up, 1 cold cpu train step; batch ${BATCH}`,
  );
  for (const [k, v] of Object.entries(checks)) log(`check: ${k} = ${v.toExponential(2)}`);
  return { name, description, batch: BATCH, env, results, checks, pytorch: torch };
}
