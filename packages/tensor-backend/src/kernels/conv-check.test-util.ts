/**
 * Test helpers shared by the wasm convolution tests (conv gradients, FMA convolution): values
 * that are identical on every backend, a sum-aware tolerance, and a run on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Deterministic values in [-1, 1) from a 32-bit LCG: identical on every backend. */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Tolerance: every gradient entry is a sum of K products (K <= 3 * 32 * 32 = 3072 for dw here).
 * Computing the same gradient from |x|, |w|, |dy| gives `absSum`, the sum of the magnitudes of
 * those products. float32 rounding of a K-term sum in any order is, in practice, a few times
 * eps * absSum (eps = 1.2e-7; observed max ~2e-6 relative), so we allow 1e-5 * absSum.
 * A single missing, extra or misplaced product changes an entry by about absSum / K >= 3e-4 *
 * absSum, 30x over the tolerance, so index mistakes cannot hide under it.
 */
export function expectClose(
  actual: Float32Array,
  expected: Float32Array,
  absSum: Float32Array,
  what: string,
) {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs((actual[i] as number) - (expected[i] as number));
    const ratio = err / ((absSum[i] as number) + 1e-30);
    if (err > 1e-30 && ratio > worst) {
      worst = ratio;
      at = i;
    }
  }
  expect(worst, `${what}: worst relative error at ${at}`).toBeLessThan(1e-5);
}

export async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    await tf.setBackend('wasm');
  }
}
