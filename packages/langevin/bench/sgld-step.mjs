// Benchmark: ms per SGLD step (the book's loop: noise, clamp, input gradient, clip, step, clamp)
// of the book's conv energy net (@ebmjs/energy-nets convEnergyNet, plain ops) at batch 128, on
// wasm (with ebmjs's kernel fills, via initBackend) and on the pure-JS cpu backend. Beside it, in
// the same run and interleaved, the bare input gradient tf.grad(sum E) alone, so the sampler's own
// overhead (noise draw, clamps, clip, update) can be read off. Reports medians.
//
//   node packages/langevin/bench/sgld-step.mjs [--backends wasm,cpu] [--batch 128]
//
// Needs the packages built (npm run build). Timings on shared machines move by up to 30%.

import { convEnergyNet } from '@ebmjs/energy-nets';
import { disposeState, sgld } from '@ebmjs/langevin';
import { createRng, initBackend } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const backends = arg('backends', 'wasm,cpu').split(',');
const batch = Number(arg('batch', '128'));
const REPS = { wasm: 15, cpu: 3 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = [];
for (const backend of backends) {
  const info = await initBackend({ backend });
  const model = convEnergyNet({ seed: 1 });
  const sampler = sgld(model.energy, { seed: 2 }); // book defaults
  const grad = tf.grad((x) => model.energy(x));
  const x0 = createRng(3).uniform([batch, 32, 32, 1], -1, 1);
  let state = sampler.init(x0);

  const timeStep = async () => {
    const t0 = performance.now();
    const [next] = sampler.step(state);
    await next.x.data(); // wait for the device
    const ms = performance.now() - t0;
    disposeState(state);
    state = next;
    return ms;
  };
  const timeGrad = async () => {
    const t0 = performance.now();
    const g = grad(state.x);
    await g.data();
    const ms = performance.now() - t0;
    g.dispose();
    return ms;
  };

  await timeStep(); // warm-up (kernel compilation, weight uploads)
  await timeGrad();
  const steps = [];
  const grads = [];
  const reps = REPS[backend] ?? 5;
  for (let i = 0; i < reps; i++) {
    steps.push(await timeStep());
    grads.push(await timeGrad());
  }
  const row = {
    backend: info.name,
    simd: info.simd,
    threads: info.threads,
    batch,
    reps,
    sgldStepMs: Math.round(median(steps) * 10) / 10,
    bareGradMs: Math.round(median(grads) * 10) / 10,
  };
  row.overheadMs = Math.round((row.sgldStepMs - row.bareGradMs) * 10) / 10;
  results.push(row);
  console.log(JSON.stringify(row));
  disposeState(state);
  x0.dispose();
  model.dispose();
}
console.table(results);
