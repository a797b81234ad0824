import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalArray, uniformArray } from './random-arrays.js';
import { createRng } from './rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

describe('uniformArray', () => {
  it('has the moments of U[0, 1), no lag-1 correlation, and is reproducible per seed', () => {
    const n = 200000;
    const u = uniformArray(n, 123);
    let s = 0;
    let s2 = 0;
    let lag = 0;
    for (let i = 0; i < n; i++) {
      s += u[i]!;
      s2 += u[i]! ** 2;
      if (i > 0) lag += (u[i]! - 0.5) * (u[i - 1]! - 0.5);
    }
    // sd of the mean = sqrt(1/12 / n) = 6.5e-4; of the mean square ~ 6.7e-4; 5 sd bounds
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.0033);
    expect(Math.abs(s2 / n - 1 / 3)).toBeLessThan(0.0034);
    // lag-1 autocovariance: sd = (1/12) / sqrt(n) = 1.9e-4
    expect(Math.abs(lag / n)).toBeLessThan(0.001);
    expect(u.reduce((a, x) => Math.min(a, x), 1)).toBeGreaterThanOrEqual(0);
    expect(u.reduce((a, x) => Math.max(a, x), 0)).toBeLessThan(1);
    expect(uniformArray(5, 7)).toEqual(uniformArray(5, 7));
    expect(uniformArray(5, 7)).not.toEqual(uniformArray(5, 8));
  });
});

describe('normalArray (ziggurat)', () => {
  const n = 400000;
  const z = normalArray(n, 2024);

  it('has the first four moments of N(0, 1) (5 sd bounds)', () => {
    let m1 = 0;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    let lag = 0;
    for (let i = 0; i < n; i++) {
      const x = z[i]!;
      m1 += x;
      m2 += x * x;
      m3 += x * x * x;
      m4 += x * x * x * x;
      if (i > 0) lag += x * z[i - 1]!;
    }
    // sd of the sample moments: mean 1/sqrt(n), E z^2: sqrt(2/n), E z^3: sqrt(15/n), E z^4: sqrt(96/n)
    const sd = (v: number) => Math.sqrt(v / n);
    expect(Math.abs(m1 / n)).toBeLessThan(5 * sd(1));
    expect(Math.abs(m2 / n - 1)).toBeLessThan(5 * sd(2));
    expect(Math.abs(m3 / n)).toBeLessThan(5 * sd(15));
    expect(Math.abs(m4 / n - 3)).toBeLessThan(5 * sd(96));
    expect(Math.abs(lag / n)).toBeLessThan(5 * sd(1));
  });

  it('matches the normal CDF (Kolmogorov-Smirnov) and the tail masses beyond the base strip', () => {
    const sorted = Float64Array.from(z).sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = phi(sorted[i]!);
      d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
    }
    // KS critical value at alpha = 0.001: 1.95 / sqrt(n)
    expect(d).toBeLessThan(1.95 / Math.sqrt(n));
    // Tail probabilities: |z| > 2 (wedges), > 3.442 (the base strip's tail), > 4.
    for (const c of [2, 3.442619855899, 4]) {
      const p = 2 * (1 - phi(c));
      const count = z.reduce((a, x) => a + (Math.abs(x) > c ? 1 : 0), 0);
      expect(Math.abs(count / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 1 / n);
    }
    // Both signs in the tail.
    expect(z.some((x) => x > 3.6)).toBe(true);
    expect(z.some((x) => x < -3.6)).toBe(true);
  });

  it('scales by mean and std, and is reproducible per seed', () => {
    const a = normalArray(1000, 5, 2, 3);
    const b = normalArray(1000, 5);
    for (let i = 0; i < 1000; i++) expect(a[i]).toBeCloseTo(2 + 3 * b[i]!, 5);
    expect(normalArray(50, 9)).toEqual(normalArray(50, 9));
    expect(normalArray(50, 9)).not.toEqual(normalArray(50, 10));
    expect(normalArray(0, 1).length).toBe(0);
  });

  it('Rng.normal draws the same numbers from the same stream, on any backend', () => {
    const t = createRng(7).normal([4, 5], 1, 0.5);
    expect(t.shape).toEqual([4, 5]);
    expect(Array.from(t.dataSync())).toEqual(
      Array.from(normalArray(20, createRng(7).nextSeed(), 1, 0.5)),
    );
    t.dispose();
    expect(() => createRng(1).normal([2, -1])).toThrow(/shape/);
  });
});
