// Browser side of bench/webgl-step.mjs: the book net's SGLD step on tfjs's webgl backend, with
// ebmjs's fused webgl kernels (EbmSgldUpdate, EbmSwishGrad) and without them, in one page.
import { convEnergyNet } from '@ebmjs/energy-nets';
import { disposeState, sgld } from '@ebmjs/langevin';
import {
  createRng,
  initBackend,
  registerWebglFusedKernels,
  sgldUpdate,
  unregisterWebglFusedKernels,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

const SIDES = { stock: unregisterWebglFusedKernels, fused: registerWebglFusedKernels };
// what is no shader pass: aliases and the tape's scopes
const NOT_A_PASS = new Set(['Identity', 'Reshape', 'unnamed scope']);

globalThis.ebmWebgl = async ({ batch, rounds, steps }) => {
  const info = await initBackend({ backend: 'webgl' });
  const model = convEnergyNet({ seed: 1 });
  const x0 = createRng(3).uniform([batch, 32, 32, 1], -1, 1);
  // one update from the same chains on both sides (the book's settings)
  const g = tf.grad((x) => tf.sum(model.energy(x)));
  const update = () =>
    tf.tidy(() =>
      sgldUpdate(x0, g(x0), { stepSize: 10, gradClip: 0.03, clamp: [-1, 1] }).dataSync(),
    );
  SIDES.stock();
  const stockUpdate = update();
  SIDES.fused();
  const fusedUpdate = update();
  let maxDiff = 0;
  fusedUpdate.forEach((v, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(v - stockUpdate[i]));
  });
  const sampler = sgld(model.energy, { seed: 2 });
  let state = sampler.init(x0);
  const step = () => {
    const [next] = sampler.step(state);
    next.x.dataSync();
    disposeState(state);
    state = next;
  };
  const out = {
    backend: info.name,
    kernelFills: info.kernelFills,
    pack: tf.env().getBool('WEBGL_PACK'),
    maxDiff,
    passes: {},
    ms: { stock: [], fused: [] },
  };
  for (const [side, set] of Object.entries(SIDES)) {
    set();
    step();
    const p = await tf.profile(step);
    out.passes[side] = p.kernels.filter((k) => !NOT_A_PASS.has(k.name)).length;
  }
  const tensors = tf.memory().numTensors;
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 ? ['fused', 'stock'] : ['stock', 'fused']) {
      SIDES[side]();
      step(); // first step after the switch compiles/warms the programs
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        step();
        out.ms[side].push(performance.now() - t0);
      }
    }
  }
  out.leaked = tf.memory().numTensors - tensors;
  disposeState(state);
  return out;
};
