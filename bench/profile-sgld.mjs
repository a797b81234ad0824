// Per-kernel profile of one real SGLD step (book conv net, batch 128, book settings) on wasm with
// ebmjs's kernel fills: wraps every registered wasm kernel with a wall-clock timer (self time:
// time of kernels called from inside a kernel, as the fills do, is subtracted from the caller).
// `--iteration`: profile whole training iterations instead (createCDTrainer + ReplayBuffer, 60
// steps + Adam, MNIST batch); per-kernel numbers are then per iteration.
// `--variant fma|muladd|native`: which of ebmjs's convolution kernels run (default: initBackend's).
//   node bench/profile-sgld.mjs [--steps 20] [--batch 128] [--iteration] [--variant native]
import { createCDTrainer } from '@ebmjs/cd-trainer';
import { loadMnist } from '@ebmjs/datasets';
import { convEnergyNet } from '@ebmjs/energy-nets';
import { disposeState, sgld } from '@ebmjs/langevin';
import { ReplayBuffer } from '@ebmjs/replay-buffer';
import {
  createRng,
  enableRelaxedSimd,
  initBackend,
  loadNativeKernels,
  registerWasmFmaConvKernels,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

const args = process.argv.slice(2);
const arg = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const STEPS = Number(arg('steps', '20'));
const BATCH = Number(arg('batch', '128'));
await initBackend({ backend: 'wasm' });
const variant = arg('variant', undefined);
if (variant === 'fma') await enableRelaxedSimd();
if (variant === 'native') await loadNativeKernels();
if (variant !== undefined) registerWasmFmaConvKernels(variant);

const stats = new Map();
const childTime = [];
for (const cfg of tf.getKernelsForBackend('wasm')) {
  const f = cfg.kernelFunc;
  tf.unregisterKernel(cfg.kernelName, 'wasm');
  tf.registerKernel({
    ...cfg,
    kernelFunc: (a) => {
      childTime.push(0);
      const t0 = performance.now();
      const out = f(a);
      const total = performance.now() - t0;
      const child = childTime.pop();
      if (childTime.length) childTime[childTime.length - 1] += total;
      const key = `${cfg.kernelName} ${Object.values(a.inputs)
        .map((t) => t?.shape?.join('x') ?? '')
        .join(',')}${a.attrs?.transposeA ? ' tA' : ''}${a.attrs?.transposeB ? ' tB' : ''}`;
      const s = stats.get(key) ?? { calls: 0, self: 0, total: 0 };
      s.calls++;
      s.self += total - child;
      s.total += total;
      stats.set(key, s);
      return out;
    },
  });
}
const model = convEnergyNet({ seed: 1 });
const sampler = sgld(model.energy, { seed: 2 });
const x0 = createRng(3).uniform([BATCH, 32, 32, 1], -1, 1);
let state = sampler.init(x0);
const step = () => {
  const t0 = performance.now();
  const [next] = sampler.step(state);
  next.x.dataSync();
  disposeState(state);
  state = next;
  return performance.now() - t0;
};
let run = step;
if (args.includes('--iteration')) {
  const clamp = [-1, 1];
  const trainer = createCDTrainer({
    model,
    buffer: new ReplayBuffer({ shape: [32, 32, 1], capacity: 8192, reinitProb: 0.05, seed: 3 }),
    sampler: (energy, { seed }) =>
      sgld(energy, { stepSize: 10, noise: 0.005, gradClip: 0.03, clamp, seed }),
    optimizer: tf.train.adam(1e-4, 0.0, 0.999),
    learningRate: 1e-4,
    alpha: 0.1,
    steps: 60,
    realNoise: 0.005,
    clamp,
    seed: 4,
  });
  const { data, shape } = await loadMnist({ n: BATCH });
  const batch = tf.tensor(data, shape);
  run = () => {
    const t0 = performance.now();
    trainer.step(batch);
    return performance.now() - t0;
  };
}
for (let i = 0; i < 3; i++) run();
stats.clear();
const times = [];
for (let i = 0; i < STEPS; i++) times.push(run());
times.sort((a, b) => a - b);
const wall = times.reduce((a, b) => a + b, 0) / STEPS;
const rows = [...stats.entries()]
  .map(([k, s]) => ({
    kernel: k,
    calls: s.calls / STEPS,
    selfMs: s.self / STEPS,
    totalMs: s.total / STEPS,
  }))
  .sort((a, b) => b.selfMs - a.selfMs);
const selfSum = rows.reduce((a, r) => a + r.selfMs, 0);
console.log(`load ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`);
console.log(
  `step ms: mean ${wall.toFixed(1)} median ${times[STEPS >> 1].toFixed(1)} min ${times[0].toFixed(1)}; kernels (self) ${selfSum.toFixed(1)} ms, outside kernels ${(wall - selfSum).toFixed(1)} ms`,
);
for (const r of rows.slice(0, 40)) {
  console.log(
    `${r.selfMs.toFixed(2).padStart(7)} ${r.totalMs.toFixed(2).padStart(7)} ${String(r.calls).padStart(4)}  ${r.kernel}`,
  );
}
disposeState(state);
