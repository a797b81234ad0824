import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { InvalidArgumentError, ShapeError } from './errors.js';
import {
  registerWasmSgldKernel,
  SGLD_UPDATE_KERNEL,
  unregisterWasmSgldKernel,
} from './kernels/wasm-sgld.js';
import { registerWebglFusedKernels, unregisterWebglFusedKernels } from './kernels/webgl-fused.js';
import { sgldUpdate } from './sgld-update.js';

/** Values spread over [-3, 3) with gradients beyond any clip, and a few exact bounds. */
function data(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 2 ** 32) * 6 - 3;
  }
  if (n > 3) v.set([1, -1, 0.03], 0);
  return v;
}

const OPTIONS = [
  { stepSize: 10, gradClip: 0.03, clamp: [-1, 1] as const },
  { stepSize: 0.5, gradClip: null, clamp: [-1, 1] as const },
  { stepSize: 2, gradClip: 1, clamp: null },
  { stepSize: 1e-3 },
];

/** The four stock ops, as the langevin sampler ran them before. */
function unfused(x: tf.Tensor, g: tf.Tensor, o: (typeof OPTIONS)[number]): Float32Array {
  return tf.tidy(() => {
    const c = o.gradClip == null ? g : tf.clipByValue(g, -o.gradClip, o.gradClip);
    const y = tf.sub(x, tf.mul(c, o.stepSize));
    return (o.clamp == null ? y : tf.clipByValue(y, o.clamp[0], o.clamp[1])).dataSync();
  }) as Float32Array;
}

const bits = (a: Float32Array) => Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));

describe('sgldUpdate', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });
  afterAll(() => {
    registerWasmSgldKernel();
  });

  it('is one EbmSgldUpdate kernel on wasm with the bits of the four stock kernels (body and tail)', () => {
    expect(tf.getKernel(SGLD_UPDATE_KERNEL, 'wasm')).toBeDefined();
    for (const n of [1, 3, 4, 7, 1001, 131072]) {
      const x = tf.tensor(data(n, 1));
      const g = tf.tensor(data(n, 2));
      for (const o of OPTIONS) {
        const y = sgldUpdate(x, g, o);
        expect(bits(y.dataSync() as Float32Array)).toEqual(bits(unfused(x, g, o)));
        y.dispose();
      }
      tf.dispose([x, g]);
    }
  });

  it('keeps NaN and clips infinities as clipByValue does', () => {
    const x = tf.tensor([0.5, 0.5, 0.5, Number.NaN, 0.5]);
    const g = tf.tensor([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 1]);
    const got = sgldUpdate(x, g, { stepSize: 10, gradClip: 0.03, clamp: [-1, 1] }).dataSync();
    // float32 arithmetic: 0.5 -+ f32(f32(0.03) * 10)
    const step = Math.fround(Math.fround(0.03) * 10);
    const lo = Math.fround(0.5 - step);
    const hi = Math.fround(0.5 + step);
    expect(Array.from(got)).toEqual([Number.NaN, lo, hi, Number.NaN, lo]);
  });

  it('gives the same bits without the kernel and on cpu', async () => {
    const x = tf.tensor(data(4099, 3), [4099]);
    const g = tf.tensor(data(4099, 4), [4099]);
    const o = OPTIONS[0]!;
    const fused = sgldUpdate(x, g, o).dataSync() as Float32Array;
    expect(unregisterWasmSgldKernel()).toEqual([SGLD_UPDATE_KERNEL]);
    const stock = sgldUpdate(x, g, o).dataSync() as Float32Array;
    expect(registerWasmSgldKernel()).toEqual([SGLD_UPDATE_KERNEL]);
    expect(registerWasmSgldKernel()).toEqual([]);
    const xv = x.dataSync() as Float32Array;
    const gv = g.dataSync() as Float32Array;
    tf.dispose([x, g]);
    await initBackend({ backend: 'cpu' });
    const cpu = sgldUpdate(tf.tensor(xv), tf.tensor(gv), o).dataSync() as Float32Array;
    await initBackend({ backend: 'wasm', threads: 1 });
    expect(bits(fused)).toEqual(bits(stock));
    expect(bits(fused)).toEqual(bits(cpu));
  });

  it('checks its arguments before any work, with typed errors', () => {
    const x = tf.zeros([2, 3]);
    const g = tf.zeros([2, 3]);
    expect(() => sgldUpdate(x, tf.zeros([3, 2]), { stepSize: 1 })).toThrow(ShapeError);
    expect(() => sgldUpdate(x, g, { stepSize: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => sgldUpdate(x, g, { stepSize: 1, gradClip: 0 })).toThrow(/gradClip/);
    expect(() => sgldUpdate(x, g, { stepSize: 1, clamp: [1, -1] })).toThrow(/lo < hi/);
    expect(() =>
      sgldUpdate(x, g, { stepSize: 1, clamp: [0] as unknown as [number, number] }),
    ).toThrow(InvalidArgumentError);
    tf.dispose([x, g]);
  });

  it('keeps no tensors across many updates', () => {
    const x = tf.zeros([8, 4]);
    const g = tf.ones([8, 4]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) sgldUpdate(x, g, OPTIONS[0]!).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g]);
  });

  it('has a webgl kernel only where a webgl backend exists (the docs e2e checks it in Chromium)', () => {
    // Node has no webgl backend: nothing is registered, nothing to remove, the ops stay stock
    expect(tf.findBackendFactory('webgl')).toBeFalsy();
    expect(registerWebglFusedKernels()).toEqual([]);
    expect(tf.getKernel(SGLD_UPDATE_KERNEL, 'webgl')).toBeUndefined();
    expect(unregisterWebglFusedKernels()).toEqual([]);
  });
});
