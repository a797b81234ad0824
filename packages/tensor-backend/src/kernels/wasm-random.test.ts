import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { normalArray } from '../random-arrays.js';
import { createRng } from '../rng.js';
import {
  RANDOM_NORMAL_KERNEL,
  registerWasmRandomKernels,
  unregisterWasmRandomKernels,
} from './wasm-random.js';

const ZIG_R = 3.442619855899;

function draw(shape: number[], seed: number, mean: number, std: number): Float32Array {
  const t = tf.engine().runKernel(RANDOM_NORMAL_KERNEL, {}, {
    shape,
    seed,
    mean,
    std,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

/** Index of the first element where a and b differ bitwise, or -1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  const ia = new Int32Array(a.buffer, a.byteOffset, a.length);
  const ib = new Int32Array(b.buffer, b.byteOffset, b.length);
  if (ia.length !== ib.length) return 0;
  for (let i = 0; i < ia.length; i++) if (ia[i] !== ib[i]) return i;
  return -1;
}

describe('wasm EbmRandomNormal', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('is registered by initBackend on wasm', () => {
    expect(tf.getKernel(RANDOM_NORMAL_KERNEL, 'wasm')).toBeDefined();
  });

  it('draws the bits of the JS ziggurat, rare paths included (wedges and the tail)', () => {
    let tails = 0;
    for (const [n, seed, mean, std] of [
      [131072, 1, 0, 1],
      [131072, 0xffffffff, 0, 0.005],
      [50000, 12345, -2.5, 3],
      [7, 0, 0, 1],
      [1, 99, 1, 0],
    ] as const) {
      const got = draw([n], seed, mean, std);
      const want = normalArray(n, seed, mean, std);
      expect(firstDiff(got, want)).toBe(-1);
      if (std === 1 && mean === 0) tails += got.filter((v) => Math.abs(v) > ZIG_R).length;
    }
    // about 5.8e-4 of the draws lie beyond R (the tail path): ~76 per 131,072
    expect(tails).toBeGreaterThan(20);
  });

  it('has the moments of N(mean, std^2)', () => {
    const v = draw([200000], 7, 1.5, 2);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1);
    // standard errors: 2 / sqrt(2e5) = 0.0045 for the mean, 4 * sqrt(2 / 2e5) = 0.013 for the variance
    expect(Math.abs(mean - 1.5)).toBeLessThan(0.02);
    expect(Math.abs(variance - 4)).toBeLessThan(0.06);
  });

  it('Rng.normal gives the same bits on wasm (kernel), wasm without it (JS) and cpu', async () => {
    const shape = [4, 32, 32, 1];
    const onWasm = createRng(5).normal(shape, 0, 0.01);
    expect(onWasm.shape).toEqual(shape);
    const a = onWasm.dataSync() as Float32Array;
    onWasm.dispose();
    expect(unregisterWasmRandomKernels()).toEqual([RANDOM_NORMAL_KERNEL]);
    const b = createRng(5).normal(shape, 0, 0.01);
    const bv = b.dataSync() as Float32Array;
    b.dispose();
    expect(registerWasmRandomKernels()).toEqual([RANDOM_NORMAL_KERNEL]);
    expect(registerWasmRandomKernels()).toEqual([]);
    await initBackend({ backend: 'cpu' });
    const c = createRng(5).normal(shape, 0, 0.01);
    const cv = c.dataSync() as Float32Array;
    c.dispose();
    await initBackend({ backend: 'wasm', threads: 1 });
    expect(firstDiff(a, bv)).toBe(-1);
    expect(firstDiff(a, cv)).toBe(-1);
  });

  it('empty shapes, and no tensors kept across many draws', () => {
    expect(draw([0, 3], 1, 0, 1).length).toBe(0);
    const rng = createRng(2);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      tf.tidy(() => {
        rng.normal([64, 8]).sum();
      });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
