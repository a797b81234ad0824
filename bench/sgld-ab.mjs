// Interleaved before/after timing of one real SGLD step (book conv net, batch 128, book settings,
// wasm with ebmjs's kernel fills) for the changes in bench/NOTES.md's perf log. Each toggle puts
// back the old behaviour in-process ("before") and restores the current code ("after"); rounds
// alternate before/after so that machine-load drift hits both alike.
// `--toggle all` applies every toggle at once (the state before the perf log vs now);
// `--iteration` times one real training iteration (createCDTrainer + ReplayBuffer, 60 SGLD steps
// + Adam, book settings, MNIST batch of 128) per round and side instead of SGLD steps; `--fma`
// runs with the relaxed-SIMD FMA convolutions (always on for the toggles fma and fmagrads).
//   node bench/sgld-ab.mjs --toggle noise [--rounds 20] [--steps 3] [--iteration] [--fma]
import { readFileSync } from 'node:fs';
import { createCDTrainer } from '@ebmjs/cd-trainer';
import { loadMnist } from '@ebmjs/datasets';
import { convEnergyNet } from '@ebmjs/energy-nets';
import { disposeState, sgld } from '@ebmjs/langevin';
import { ReplayBuffer } from '@ebmjs/replay-buffer';
import {
  activations,
  createRng,
  enableRelaxedSimd,
  initBackend,
  loadNativeKernels,
  nativeKernelsStatus,
  Rng,
  registerWasmActivationKernels,
  registerWasmFmaConvKernels,
  registerWasmKernelFills,
  registerWasmMatMulKernel,
  registerWasmRandomKernels,
  registerWasmReduceKernels,
  registerWasmSgldKernel,
  registerWasmZeroCopyKernels,
  unregisterWasmActivationKernels,
  unregisterWasmFmaConvKernels,
  unregisterWasmMatMulKernel,
  unregisterWasmRandomKernels,
  unregisterWasmReduceKernels,
  unregisterWasmSgldKernel,
  unregisterWasmZeroCopyKernels,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

const args = process.argv.slice(2);
const arg = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const ROUNDS = Number(arg('rounds', '20'));
const STEPS = Number(arg('steps', '3'));
const which = arg('toggle', 'noise');
const ITER = args.includes('--iteration');
await initBackend({ backend: 'wasm' });

const toggles = {
  // Rng.normal as it was: seeded tf.randomNormal.
  noise: () => {
    const now = Rng.prototype.normal;
    return {
      before: () => {
        Rng.prototype.normal = function (shape, mean = 0, std = 1) {
          return tf.randomNormal(shape, mean, std, 'float32', this.nextSeed());
        };
      },
      after: () => {
        Rng.prototype.normal = now;
      },
    };
  },
  // wasm's stock Identity and Cast (copying) instead of the zero-copy fills.
  copies: () => ({
    before: () => unregisterWasmZeroCopyKernels(),
    after: () => registerWasmZeroCopyKernels(),
  }),
  // The activations as they were: swish = mul(x, sigmoid(x)) with a customGrad sigmoid whose
  // gradient always recomputes sigmoid from the saved input.
  swish: () => {
    const oldSigmoid = tf.customGrad((x, save) => {
      save([x]);
      return {
        value: tf.sigmoid(x),
        gradFunc: (dy, [sx]) => {
          const sg = oldSigmoid(sx);
          return tf.mul(dy, tf.mul(sg, tf.sub(1, sg)));
        },
      };
    });
    const oldSwish = (x) => tf.tidy(() => tf.mul(x, oldSigmoid(x)));
    const now = activations.swish;
    return {
      before: () => {
        activations.swish = oldSwish;
      },
      after: () => {
        activations.swish = now;
      },
    };
  },
  // Plain tfjs ops (not higher-order correct), for reference: swish = mul(x, tf.sigmoid(x)).
  plainswish: () => {
    const now = activations.swish;
    return {
      before: () => {
        activations.swish = (x) => tf.mul(x, tf.sigmoid(x));
      },
      after: () => {
        activations.swish = now;
      },
    };
  },
  // wasm's Sigmoid + Multiply and 4 elementwise kernels backward instead of the fused SIMD swish
  activations: () => ({
    before: () => unregisterWasmActivationKernels(),
    after: () => registerWasmActivationKernels(),
  }),
  // wasm's stock BatchMatMul (slow transposed operands) instead of the explicit-transpose fill.
  matmul: () => ({
    before: () => unregisterWasmMatMulKernel(),
    after: () => registerWasmMatMulKernel(),
  }),
  // conv2d + add(bias) as two kernels instead of @ebmjs/energy-nets' conv2dBias (FusedConv2D).
  // Langevin steps only (the trainer calls model.energy itself).
  fusedbias: () => ({
    before: () => {
      energyImpl = (x) =>
        tf.tidy(() => {
          let h = x;
          for (const l of model.layers) {
            h =
              l.kind === 'conv'
                ? tf.add(tf.conv2d(h, l.kernel, l.stride, model.config.padding), l.bias)
                : tf.add(
                    tf.matMul(h.rank === 2 ? h : tf.reshape(h, [h.shape[0], -1]), l.kernel),
                    l.bias,
                  );
            if (l.activation) h = activations[l.activation](h);
          }
          return tf.reshape(h, [x.shape[0]]);
        });
    },
    after: () => {
      energyImpl = model.energy;
    },
  }),
  // XNNPACK's Conv2D/FusedConv2D instead of the relaxed-SIMD FMA convolutions (the V8 flag is
  // set for this toggle only).
  fma: () => ({
    before: () => unregisterWasmFmaConvKernels(),
    after: () => registerWasmFmaConvKernels(),
  }),
  // XNNPACK's convolutions instead of ebmjs's with a multiply and an add (no relaxed SIMD, no
  // V8 flag: the Node 20 default's choice).
  muladd: () => ({
    before: () => unregisterWasmFmaConvKernels(),
    after: () => registerWasmFmaConvKernels('muladd'),
  }),
  // ebmjs's convolutions with a multiply and an add instead of fused multiply-adds.
  fmavariant: () => ({
    before: () => registerWasmFmaConvKernels('muladd'),
    after: () => registerWasmFmaConvKernels('fma'),
  }),
  // ebmjs's wasm FMA convolutions -> @ebmjs/native-kernels's native kernels (perf log 20).
  native: () => ({
    before: () => registerWasmFmaConvKernels('fma'),
    after: () => registerWasmFmaConvKernels('native'),
  }),
  // the multiply-add wasm convolutions (Node 20's default without the addon) -> native kernels.
  nativemuladd: () => ({
    before: () => registerWasmFmaConvKernels('muladd'),
    after: () => registerWasmFmaConvKernels('native'),
  }),
  // Perf log 12 (with the FMA convolutions on; the V8 flag is set for these toggles):
  // the conv-gradient fills through Conv2D calls and layout kernels instead of the FMA module's
  // direct input-gradient phases and filter-gradient kernel.
  fmagrads: () => ({
    before: () => registerWasmKernelFills({ fmaGradients: false }),
    after: () => registerWasmKernelFills({ fmaGradients: true }),
  }),
  // Rng.normal's JS ziggurat (uploaded) instead of the same draws made in wasm.
  wasmnormal: () => ({
    before: () => unregisterWasmRandomKernels(),
    after: () => registerWasmRandomKernels(),
  }),
  // clip, mul, sub, clip as four stock kernels instead of EbmSgldUpdate.
  sgldupdate: () => ({
    before: () => unregisterWasmSgldKernel(),
    after: () => registerWasmSgldKernel(),
  }),
  // tfjs's wasm Sum (transpose, then reduce) for sums over leading axes (bias gradients).
  sum: () => ({
    before: () => unregisterWasmReduceKernels(),
    after: () => registerWasmReduceKernels(),
  }),
  none: () => ({ before: () => {}, after: () => {} }),
};
// `fma` and `fmagrads` need the FMA convolutions; `--fma` runs any other toggle with them too.
const FMA_TOGGLES = ['fma', 'fmagrads', 'fmavariant', 'native'];
if (which.startsWith('native') && !(await loadNativeKernels())) {
  throw new Error(`native kernels: ${nativeKernelsStatus().reason}`);
}
if (FMA_TOGGLES.includes(which) || args.includes('--fma')) {
  if (!(await enableRelaxedSimd())) throw new Error('no relaxed SIMD here');
  registerWasmFmaConvKernels();
}
toggles.all = () => {
  const parts = Object.keys(toggles)
    .filter(
      (k) =>
        ![
          'all',
          'none',
          'plainswish',
          ...FMA_TOGGLES,
          'muladd',
          'nativemuladd',
          ...(ITER ? ['fusedbias'] : []),
        ].includes(k),
    )
    .map((k) => toggles[k]());
  return {
    before: () => {
      for (const t of parts) t.before();
    },
    after: () => {
      for (const t of parts) t.after();
    },
  };
};
const model = convEnergyNet({ seed: 1 });
let energyImpl = model.energy;
const toggle = toggles[which]();
const sampler = sgld((x) => energyImpl(x), { seed: 2 });
const x0 = createRng(3).uniform([128, 32, 32, 1], -1, 1);
let state = sampler.init(x0);
const sgldStep = () => {
  const t0 = performance.now();
  const [next] = sampler.step(state);
  next.x.dataSync();
  disposeState(state);
  state = next;
  return performance.now() - t0;
};
let step = sgldStep;
let cleanup = () => {};
if (ITER) {
  // The real trainer as in bench/cd-iteration.mjs (book settings).
  const clamp = [-1, 1];
  const buffer = new ReplayBuffer({
    shape: [32, 32, 1],
    capacity: 8192,
    reinitProb: 0.05,
    seed: 3,
  });
  const optimizer = tf.train.adam(1e-4, 0.0, 0.999);
  const trainer = createCDTrainer({
    model,
    buffer,
    sampler: (energy, { seed }) =>
      sgld(energy, { stepSize: 10, noise: 0.005, gradClip: 0.03, clamp, seed }),
    optimizer,
    learningRate: 1e-4,
    alpha: 0.1,
    steps: 60,
    realNoise: 0.005,
    clamp,
    seed: 4,
  });
  const { data, shape } = await loadMnist({ n: 128 });
  const batch = tf.tensor(data, shape);
  step = () => {
    const t0 = performance.now();
    trainer.step(batch);
    return performance.now() - t0;
  };
  cleanup = () => {
    batch.dispose();
    optimizer.dispose();
    trainer.dispose?.();
  };
}
const times = { before: [], after: [] };
const load0 = readFileSync('/proc/loadavg', 'utf8').trim();
for (const side of ['before', 'after']) {
  toggle[side]();
  step();
  if (!ITER) step();
}
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? ['before', 'after'] : ['after', 'before'];
  for (const side of order) {
    toggle[side]();
    for (let s = 0; s < STEPS; s++) times[side].push(step());
  }
}
toggle.after();
const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[s.length >> 1], min: s[0], mean: s.reduce((a, b) => a + b, 0) / s.length };
};
const b = stat(times.before);
const a = stat(times.after);
const f = (x) => x.toFixed(1);
console.log(
  `toggle ${which}: ${ROUNDS} rounds x ${STEPS} steps, load ${load0} -> ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
);
console.log(`before: median ${f(b.median)} min ${f(b.min)} mean ${f(b.mean)} ms`);
console.log(`after:  median ${f(a.median)} min ${f(a.min)} mean ${f(a.mean)} ms`);
console.log(
  `delta:  median ${f(a.median - b.median)} min ${f(a.min - b.min)} mean ${f(a.mean - b.mean)} ms`,
);
cleanup();
disposeState(state);
x0.dispose();
model.dispose();
