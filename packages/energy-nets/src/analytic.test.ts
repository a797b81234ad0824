import { InvalidArgumentError, ShapeError } from '@ebmjs/tensor-backend';
import { expectNoLeak, gradCheck } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { doubleWellEnergy, gaussianEnergy, gaussianMixtureEnergy, ringEnergy } from './analytic.js';
import type { AnalyticEnergy } from './types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cases: [string, () => AnalyticEnergy][] = [
  [
    'gaussian 2-D full covariance',
    () =>
      gaussianEnergy({
        mean: [1, -0.5],
        covariance: [
          [2, 0.6],
          [0.6, 1],
        ],
      }),
  ],
  ['gaussian 3-D diagonal', () => gaussianEnergy({ mean: [0, 1, 2], covariance: [0.5, 1, 2] })],
  [
    'mixture 2-D, full covariances',
    () =>
      gaussianMixtureEnergy({
        means: [
          [-1, 0],
          [1.5, 0.5],
          [0, 2],
        ],
        covariances: [
          [
            [0.3, 0.1],
            [0.1, 0.2],
          ],
          0.25,
          [0.5, 0.1],
        ],
        weights: [1, 2, 1],
      }),
  ],
  [
    'mixture 2-D, stds',
    () =>
      gaussianMixtureEnergy({
        means: [
          [-2, 0],
          [2, 0],
        ],
        stds: [0.5, 0.8],
      }),
  ],
  ['double well 1-D', () => doubleWellEnergy({ dim: 1, height: 2, location: 1.5 })],
  ['double well 2-D', () => doubleWellEnergy()],
  ['ring 2-D', () => ringEnergy({ radius: 1, width: 0.1 })],
  ['ring 3-D', () => ringEnergy({ radius: 2, width: 0.3, dim: 3 })],
];

describe('analytic energies: score = -∇E', () => {
  for (const [name, make] of cases) {
    it(name, () => {
      const model = make();
      const x = tf.tidy(() => tf.add(tf.randomNormal([16, model.dim], 0, 1.2, 'float32', 3), 0.1));
      const score = model.score(x);
      const minusGrad = tf.tidy(() =>
        tf.neg(tf.grad((v: tf.Tensor) => tf.sum(model.energy(v)))(x)),
      );
      // Two float32 computations of the same expression: agree to ~1e-6 relative; 1e-4 relative to
      // the largest score entry (ring scores reach ~100) leaves room for cancellation.
      const a = score.dataSync();
      const b = minusGrad.dataSync();
      const scale = Math.max(1, ...Array.from(b).map(Math.abs));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-4 * scale);
      expect(score.shape).toEqual([16, model.dim]);
      // logProb = -E - logZ everywhere
      const lp = model.logProb(x).dataSync();
      const e = model.energy(x).dataSync();
      for (let i = 0; i < 16; i++) expect(lp[i]!).toBeCloseTo(-e[i]! - model.logZ, 3);
      // the energy's own gradient is right (finite differences), second derivatives too
      const small = tf.slice(x, [0, 0], [3, -1]);
      expect(gradCheck((v) => model.energy(v), small).ok).toBe(true);
      const second = gradCheck(
        (v) => tf.sum(tf.square(tf.grad((u: tf.Tensor) => tf.sum(model.energy(u)))(v))),
        small,
        { eps: 1e-3, rtol: 3e-2 },
      );
      expect(second.ok, JSON.stringify(second)).toBe(true);
      tf.dispose([x, score, minusGrad, small]);
    });
  }
});

/**
 * Riemann sum of exp(logProb) on a uniform grid over [lo, hi]². For smooth densities that vanish
 * at the box edges the rectangle rule is spectrally accurate once the step is well below the
 * narrowest length scale (here step ≤ w/5 for the ring, ≤ σ/10 elsewhere), the mass outside the
 * boxes is < 1e-6, and float32 logProb errors (≤ ~1e-5 absolute) change p by ≤ 1e-5 relative, so
 * the sum is 1 to well within the 2e-3 asserted.
 */
function gridIntegral(
  model: AnalyticEnergy,
  lo: number[],
  hi: number[],
  n: number,
  g: (x: number, y: number) => number = () => 1,
): number {
  const hx = (hi[0]! - lo[0]!) / (n - 1);
  const hy = (hi[1]! - lo[1]!) / (n - 1);
  const pts = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      pts[2 * (i * n + j)] = lo[0]! + i * hx;
      pts[2 * (i * n + j) + 1] = lo[1]! + j * hy;
    }
  }
  const x = tf.tensor2d(pts, [n * n, 2]);
  const lp = model.logProb(x);
  const v = lp.dataSync();
  let s = 0;
  for (let k = 0; k < n * n; k++) s += Math.exp(v[k]!) * g(pts[2 * k]!, pts[2 * k + 1]!);
  tf.dispose([x, lp]);
  return s * hx * hy;
}

describe('analytic energies: logProb is normalised', () => {
  it('integrates to 1 on a 2-D grid', () => {
    const boxes: [AnalyticEnergy, number[], number[], number][] = [
      [cases[0]![1](), [-7, -6], [9, 5], 241],
      [cases[2]![1](), [-4, -4], [5, 6], 241],
      [cases[3]![1](), [-6, -5], [6, 5], 241],
      [doubleWellEnergy(), [-2.6, -7], [2.6, 7], 241],
      [doubleWellEnergy({ dim: 2, height: 4, location: 0.8 }), [-1.7, -7], [1.7, 7], 241],
      [ringEnergy({ radius: 1, width: 0.1 }), [-1.7, -1.7], [1.7, 1.7], 241],
      [ringEnergy({ radius: 0.3, width: 0.2 }), [-2, -2], [2, 2], 241],
    ];
    for (const [model, lo, hi, n] of boxes) {
      expect(gridIntegral(model, lo, hi, n)).toBeCloseTo(1, 2.7); // |err| < 1e-2.7 ≈ 2e-3
    }
    // The same sum with too small a box loses mass, so the check can fail.
    expect(gridIntegral(ringEnergy(), [0, -1.7], [1.7, 1.7], 121)).toBeLessThan(0.6);
  });

  it('1-D double well integrates to 1 (fine Riemann sum)', () => {
    const m = doubleWellEnergy({ dim: 1, height: 3 });
    const n = 4001;
    const xs = tf.linspace(-3, 3, n).reshape([n, 1]);
    const p = Array.from(tf.exp(m.logProb(xs)).dataSync());
    const s = p.reduce((a, b) => a + b, 0) * (6 / (n - 1));
    expect(s).toBeCloseTo(1, 4);
    xs.dispose();
  });

  it('Gaussian logProb matches the closed form', () => {
    const m = gaussianEnergy({
      mean: [1, -0.5],
      covariance: [
        [2, 0.6],
        [0.6, 1],
      ],
    });
    // det Σ = 2·1 - 0.36 = 1.64, Σ⁻¹ = [[1, -0.6], [-0.6, 2]] / 1.64
    const pts = [
      [0, 0],
      [1, -0.5],
      [3, 2],
      [-1.5, 0.7],
    ];
    const lp = m.logProb(tf.tensor2d(pts)).dataSync();
    pts.forEach(([a, b], i) => {
      const d0 = a! - 1;
      const d1 = b! + 0.5;
      const q = (d0 * d0 - 1.2 * d0 * d1 + 2 * d1 * d1) / 1.64;
      const expected = -0.5 * q - Math.log(2 * Math.PI) - 0.5 * Math.log(1.64);
      expect(lp[i]!).toBeCloseTo(expected, 5);
    });
    expect(m.logZ).toBeCloseTo(Math.log(2 * Math.PI) + 0.5 * Math.log(1.64), 12);
    expect(m.normalization).toBe('closed-form');
  });

  it('mixture logProb matches the direct float64 sum of densities', () => {
    const m = gaussianMixtureEnergy({
      means: [
        [-2, 0],
        [2, 1],
      ],
      stds: [0.5, 1.5],
      weights: [3, 1],
    });
    const pts = [
      [0, 0],
      [-2, 0],
      [2, 1],
      [10, -10],
      [-30, 5],
    ];
    const lp = m.logProb(tf.tensor2d(pts)).dataSync();
    const comps = [
      { w: 0.75, mu: [-2, 0], s: 0.5 },
      { w: 0.25, mu: [2, 1], s: 1.5 },
    ];
    pts.forEach(([a, b], i) => {
      const terms = comps.map(
        (c) =>
          Math.log(c.w) -
          ((a! - c.mu[0]!) ** 2 + (b! - c.mu[1]!) ** 2) / (2 * c.s * c.s) -
          Math.log(2 * Math.PI * c.s * c.s),
      );
      const mx = Math.max(...terms);
      const expected = mx + Math.log(terms.reduce((s, t) => s + Math.exp(t - mx), 0));
      // far points have |logProb| ~ 100: float32 keeps ~7 significant digits
      expect(Math.abs(lp[i]! - expected)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
      expect(Number.isFinite(lp[i]!)).toBe(true);
    });
  });
});

/** Sample mean and covariance in float64. */
function moments(x: tf.Tensor2D): { mean: number[]; cov: number[][] } {
  const [n, d] = x.shape;
  const v = x.dataSync();
  const mean = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += v[i * d + j]! / n;
  const cov = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        cov[a]![b]! += ((v[i * d + a]! - mean[a]!) * (v[i * d + b]! - mean[b]!)) / (n - 1);
      }
    }
  }
  return { mean, cov };
}

describe('analytic energies: sampling and moments', () => {
  it('samples match the stated mean and covariance', () => {
    const n = 20000;
    const models = [
      gaussianEnergy({
        mean: [1, -2, 0.5],
        covariance: [
          [1, 0.5, 0.2],
          [0.5, 2, -0.3],
          [0.2, -0.3, 0.5],
        ],
      }),
      gaussianMixtureEnergy({
        means: [
          [-2, 0],
          [2, 1],
        ],
        stds: [0.5, 1],
        weights: [1, 3],
      }),
      doubleWellEnergy(),
      ringEnergy({ radius: 1, width: 0.1 }),
      ringEnergy({ radius: 2, width: 0.3, dim: 3 }),
    ];
    for (const m of models) {
      const x = m.sample!(n, 42);
      expect(x.shape).toEqual([n, m.dim]);
      const { mean, cov } = moments(x);
      const C = m.covariance!;
      for (let a = 0; a < m.dim; a++) {
        // 5 standard errors: s.e.(mean) = sqrt(C_aa / n); s.e.(C_ab) <= sqrt(4th moment / n),
        // bounded here by sqrt(3 C_aa C_bb / n) (kurtosis ≤ 3 holds for these; the mixture's
        // bimodal marginals have lower kurtosis than a Gaussian).
        expect(Math.abs(mean[a]! - m.mean![a]!)).toBeLessThan(5 * Math.sqrt(C[a]![a]! / n));
        for (let b = 0; b < m.dim; b++) {
          const se = Math.sqrt((3 * C[a]![a]! * C[b]![b]!) / n);
          expect(Math.abs(cov[a]![b]! - C[a]![b]!)).toBeLessThan(5 * se);
        }
      }
      // same seed, same samples
      const y = m.sample!(5, 7);
      const z = m.sample!(5, 7);
      expect(Array.from(y.dataSync())).toEqual(Array.from(z.dataSync()));
      tf.dispose([x, y, z]);
    }
  });

  it('quadrature moments of double well and ring agree with a grid computation', () => {
    const dw = doubleWellEnergy({ dim: 2, height: 2 });
    const var0 = gridIntegral(dw, [-2.6, -7], [2.6, 7], 301, (x) => x * x);
    expect(dw.covariance![0]![0]!).toBeCloseTo(var0, 3);
    expect(dw.covariance![1]![1]!).toBe(1);
    const ring = ringEnergy({ radius: 1, width: 0.1 });
    const ex2 = gridIntegral(ring, [-1.7, -1.7], [1.7, 1.7], 301, (x) => x * x);
    expect(ring.covariance![0]![0]!).toBeCloseTo(ex2, 3);
    expect(ring.normalization).toBe('quadrature');
  });
});

describe('analytic energies: errors and memory', () => {
  it('rejects bad options and shapes with typed errors', () => {
    expect(() => gaussianEnergy({ mean: [] })).toThrow(InvalidArgumentError);
    expect(() =>
      gaussianEnergy({
        mean: [0, 0],
        covariance: [
          [1, 2],
          [2, 1],
        ],
      }),
    ).toThrow(/positive definite/);
    expect(() =>
      gaussianEnergy({
        mean: [0, 0],
        covariance: [
          [1, 0.1],
          [0.2, 1],
        ],
      }),
    ).toThrow(/symmetric/);
    expect(() => gaussianEnergy({ mean: [0, 0], covariance: -1 })).toThrow(InvalidArgumentError);
    expect(() => gaussianEnergy({ mean: [0, Number.NaN] })).toThrow(/options.mean\[1\]/);
    expect(() => gaussianMixtureEnergy({ means: [[0], [1]], weights: [1] })).toThrow(
      /options.weights/,
    );
    expect(() => gaussianMixtureEnergy({ means: [[0], [1, 2]] })).toThrow(/options.means\[1\]/);
    expect(() => gaussianMixtureEnergy({ means: [[0]], stds: 0 })).toThrow(InvalidArgumentError);
    expect(() => doubleWellEnergy({ dim: 0 })).toThrow(/options.dim/);
    expect(() => ringEnergy({ width: 0 })).toThrow(/options.width/);
    const g = gaussianEnergy({ mean: [0, 0] });
    const bad = tf.zeros([4, 3]);
    expect(() => g.energy(bad)).toThrow(ShapeError);
    expect(() => g.score(bad)).toThrow(ShapeError);
    expect(() => ringEnergy().logProb(bad)).toThrow(ShapeError);
    expect(() => g.sample!(0)).toThrow(InvalidArgumentError);
    bad.dispose();
  });

  it('does not leak tensors', async () => {
    const models = cases.map(([, make]) => make());
    await expectNoLeak(() => {
      for (const m of models) {
        const x = tf.randomNormal([8, m.dim]);
        tf.dispose([m.energy(x), m.logProb(x), m.score(x), m.sample!(4, 1)]);
        tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(m.energy(v)))(x));
        x.dispose();
      }
    });
  });
});
