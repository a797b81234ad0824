import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { swish } from '../ops.js';
import { nativeKernelsActive } from './native-kernels.js';
import {
  registerWasmActivationKernels,
  SWISH_GRAD_KERNEL,
  SWISH_KERNEL,
  unregisterWasmActivationKernels,
} from './wasm-activations.js';
import { enableRelaxedSimd } from './wasm-conv-fma.js';

/** Values that cover the polynomial's range reduction, saturation and both tails. */
function inputs(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = -30 + (60 * i) / Math.max(1, n - 1) + (i % 7) * 1e-3;
  if (n > 6) v.set([0, -0, 100, -100, 1e-8, -88.5, 89], 0);
  return v;
}

/** Float64 references. */
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const swishRef = (x: number) => x * sig(x);
const swishGradRef = (x: number) => sig(x) + x * sig(x) * (1 - sig(x));

function expectClose(got: ArrayLike<number>, want: (i: number) => number, tol: number) {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const w = want(i);
    worst = Math.max(worst, Math.abs(got[i]! - w) / Math.max(1, Math.abs(w)));
  }
  expect(worst).toBeLessThan(tol);
}

describe('wasm SIMD activation kernels', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('the generated modules match wat/ (every module build-wat.mjs lists)', () => {
    const script = join(dirname(fileURLToPath(import.meta.url)), '../../scripts/build-wat.mjs');
    // exits non-zero (and the test fails) if the committed bytes are stale
    execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' });
  });

  it.each([
    ['plain SIMD', 'plain'],
    ['relaxed-SIMD FMA', 'fma'],
    ['native (@ebmjs/native-kernels)', 'native'],
  ] as const)(
    'the %s module: swish, its gradient and sigmoid match float64, body and tail',
    async (_name, kind) => {
      interface Exports {
        sigmoid(x: number, o: number, n: number): void;
        swish(x: number, y: number, s: number, n: number): void;
        swish_grad(dy: number, y: number, s: number, dx: number, n: number): void;
      }
      const memory = new WebAssembly.Memory({ initial: 8 });
      let ex: Exports;
      if (kind === 'native') {
        // the addon's functions take the heap first (a plain wasm memory's buffer here)
        const { loadAddon } = await import('@ebmjs/native-kernels');
        const addon = loadAddon();
        ex = {
          sigmoid: (...a) => addon.sigmoid(memory.buffer, ...a),
          swish: (...a) => addon.swish(memory.buffer, ...a),
          swish_grad: (...a) => addon.swish_grad(memory.buffer, ...a),
        };
      } else {
        if (kind === 'fma') expect(await enableRelaxedSimd()).toBe(true);
        const gen =
          kind === 'fma'
            ? await import('./wasm-activations-fma.generated.js')
            : await import('./wasm-activations.generated.js');
        const wasm = new WebAssembly.Instance(
          new WebAssembly.Module(
            Uint8Array.from(atob(gen.PLAIN_MEMORY_WASM), (c) => c.charCodeAt(0)),
          ),
          { env: { memory } },
        ).exports as unknown as Exports & { init(p: number): void };
        wasm.init(0);
        ex = wasm;
      }
      const f32 = new Float32Array(memory.buffer);
      for (const n of [1, 5, 4096 + 3]) {
        const xv = inputs(n);
        const dyv = new Float32Array(n).map((_, i) => 0.5 - (i % 5) * 0.25);
        // byte offsets of the arrays in the module's memory
        const X = 65536;
        const Y = 2 * 65536;
        const S = 3 * 65536;
        const O = 4 * 65536;
        const DY = 5 * 65536;
        const DX = 6 * 65536;
        f32.set(xv, X / 4);
        f32.set(dyv, DY / 4);
        ex.swish(X, Y, S, n);
        ex.sigmoid(X, O, n);
        ex.swish_grad(DY, Y, S, DX, n);
        const at = (off: number) => f32.subarray(off / 4, off / 4 + n);
        expectClose(at(Y), (i) => swishRef(xv[i]!), 2e-7);
        expectClose(at(S), (i) => sig(xv[i]!), 2e-7);
        expectClose(at(O), (i) => sig(xv[i]!), 2e-7);
        expectClose(at(DX), (i) => dyv[i]! * swishGradRef(xv[i]!), 1e-6);
      }
    },
  );
});

/**
 * The registered kernels, with the wasm module's arithmetic and with the native kernels' (which
 * the activations use while the native convolutions run).
 */
describe.each(['wasm', 'native'] as const)('activation kernels on wasm (%s arithmetic)', (mode) => {
  const init = () =>
    initBackend({
      backend: 'wasm',
      threads: 1,
      ...(mode === 'wasm' ? { nativeKernels: false } : {}),
    });
  beforeAll(async () => {
    await init();
    expect(nativeKernelsActive()).toBe(mode === 'native');
  });

  it('swish, its gradient and sigmoid match float64 to 2e-7 relative, vector body and scalar tail', () => {
    for (const n of [1, 3, 4, 5, 8, 1001, 4096 + 3]) {
      const xv = inputs(n);
      const dyv = new Float32Array(n).map((_, i) => 0.5 - (i % 5) * 0.25);
      const [y, s] = tf.engine().runKernel(SWISH_KERNEL, { x: tf.tensor(xv) }, {}) as tf.Tensor[];
      const yv = y!.dataSync();
      const sv = s!.dataSync();
      expectClose(yv, (i) => swishRef(xv[i]!), 2e-7);
      expectClose(sv, (i) => sig(xv[i]!), 2e-7);
      const dx = tf
        .engine()
        .runKernel(SWISH_GRAD_KERNEL, { dy: tf.tensor(dyv), y: y!, s: s! }, {}) as tf.Tensor;
      // s + y (1 - s) then times dy: four float32 roundings on top of s's own error
      expectClose(dx.dataSync(), (i) => dyv[i]! * swishGradRef(xv[i]!), 1e-6);
      expectClose(tf.sigmoid(tf.tensor(xv)).dataSync(), (i) => sig(xv[i]!), 2e-7);
      tf.dispose([y!, s!, dx]);
    }
  });

  it('never returns float32 denormals (they slow every later kernel): 0 below x = -80', () => {
    const xs = tf.linspace(-200, 200, 40001);
    const [y, s] = tf.engine().runKernel(SWISH_KERNEL, { x: xs }, {}) as tf.Tensor[];
    const dx = tf
      .engine()
      .runKernel(SWISH_GRAD_KERNEL, { dy: tf.onesLike(xs), y: y!, s: s! }, {}) as tf.Tensor;
    const x = xs.dataSync();
    const outs = [y!.dataSync(), s!.dataSync(), dx.dataSync(), tf.sigmoid(xs).dataSync()];
    for (const v of outs) {
      for (let i = 0; i < v.length; i++) {
        expect(v[i] === 0 || Math.abs(v[i]!) >= 1.1754944e-38, `x = ${x[i]}: ${v[i]}`).toBe(true);
        if (x[i]! < -80) expect(v[i] === 0, `x = ${x[i]}`).toBe(true); // +0 or -0
      }
    }
    tf.dispose([xs, y!, s!, dx]);
  });

  it('NaN stays NaN', () => {
    const [y, s] = tf
      .engine()
      .runKernel(SWISH_KERNEL, { x: tf.tensor([Number.NaN, 1]) }, {}) as tf.Tensor[];
    expect(Number.isNaN(y!.dataSync()[0])).toBe(true);
    expect(Number.isNaN(s!.dataSync()[0])).toBe(true);
    expect(Number.isNaN(tf.sigmoid(tf.tensor([Number.NaN])).dataSync()[0])).toBe(true);
    tf.dispose([y!, s!]);
  });

  it('swish runs one fused kernel forward and one backward on wasm, and leaks nothing', async () => {
    const x = tf.randomNormal([64, 33], 0, 3, 'float32', 1);
    const dyGrad = tf.grad((t: tf.Tensor) => tf.sum(swish(t)));
    const fwd = await tf.profile(() => swish(x));
    // (the customGrad wrapper shows as an unnamed entry)
    expect(fwd.kernels.map((k) => k.name).filter(Boolean)).toEqual([SWISH_KERNEL]);
    tf.dispose(fwd.result as tf.Tensor);
    const bwd = await tf.profile(() => dyGrad(x));
    const names = bwd.kernels.map((k) => k.name);
    expect(names).toContain(SWISH_GRAD_KERNEL);
    expect(names).not.toContain('Sigmoid');
    expect(bwd.newTensors).toBe(1);
    tf.dispose(bwd.result as tf.Tensor);
    x.dispose();
  });

  it('first, second and third derivatives of swish equal the unfused path and the cpu backend', async () => {
    const xs = tf.linspace(-8, 8, 1001);
    const d1 = tf.grad((t: tf.Tensor) => tf.sum(swish(t)));
    const d2 = tf.grad((t: tf.Tensor) => tf.sum(d1(t)));
    const d3 = tf.grad((t: tf.Tensor) => tf.sum(d2(t)));
    const fused = [d1(xs).dataSync(), d2(xs).dataSync(), d3(xs).dataSync(), swish(xs).dataSync()];
    unregisterWasmActivationKernels();
    try {
      const plain = [d1(xs).dataSync(), d2(xs).dataSync(), d3(xs).dataSync(), swish(xs).dataSync()];
      for (let k = 0; k < 4; k++) expectClose(fused[k]!, (i) => plain[k]![i]!, 2e-6);
    } finally {
      registerWasmActivationKernels();
    }
    const x = xs.dataSync();
    expectClose(fused[0]!, (i) => swishGradRef(x[i]!), 1e-6);
    await initBackend({ backend: 'cpu' });
    const cpuXs = tf.linspace(-8, 8, 1001);
    const cpu3 = d3(cpuXs).dataSync();
    expectClose(fused[2]!, (i) => cpu3[i]!, 2e-5);
    await init();
    xs.dispose();
  });

  it('register/unregister are idempotent and restore the stock Sigmoid', () => {
    expect(registerWasmActivationKernels()).toEqual([]);
    expect(unregisterWasmActivationKernels().sort()).toEqual([
      'EbmSwish',
      'EbmSwishGrad',
      'Sigmoid',
    ]);
    expect(tf.getKernel(SWISH_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel('Sigmoid', 'wasm')).toBeDefined();
    expect(tf.sigmoid(tf.tensor([0])).dataSync()[0]).toBeCloseTo(0.5, 7);
    expect(unregisterWasmActivationKernels()).toEqual([]);
    expect(registerWasmActivationKernels().sort()).toEqual(['EbmSwish', 'EbmSwishGrad', 'Sigmoid']);
  });
});

describe('native activation kernels on helper threads', () => {
  it('threads: 2 splits large activations: same bits as one thread', async () => {
    // 2^17 + 5 elements: enough work to be split, and a tail off the 16-float vectors
    const n = (1 << 17) + 5;
    const xv = new Float32Array(n).map((_, i) => -12 + (24 * i) / n);
    const run = () => {
      const x = tf.tensor(xv);
      const dy = tf.onesLike(x);
      const [y, s] = tf.engine().runKernel(SWISH_KERNEL, { x }, {}) as tf.Tensor[];
      const dx = tf.engine().runKernel(SWISH_GRAD_KERNEL, { dy, y: y!, s: s! }, {}) as tf.Tensor;
      const sg = tf.sigmoid(x);
      const out = [y!, s!, dx, sg].map((t) => Array.from(t.dataSync()));
      tf.dispose([x, dy, y!, s!, dx, sg]);
      return out;
    };
    await initBackend({ backend: 'wasm', threads: 1 });
    expect(nativeKernelsActive()).toBe(true);
    const one = run();
    const info = await initBackend({ backend: 'wasm', threads: 2 });
    expect([info.convVariant, info.threadCount]).toEqual(['native', 2]);
    const tensors = tf.memory().numTensors;
    const two = run();
    expect(tf.memory().numTensors).toBe(tensors);
    for (let k = 0; k < 4; k++) expect(two[k]).toEqual(one[k]);
    expectClose(two[0]!, (i) => swishRef(xv[i]!), 2e-7);
    await initBackend({ backend: 'wasm', threads: 1 });
  });
});
