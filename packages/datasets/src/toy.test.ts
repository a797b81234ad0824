import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors.js';
import {
  checkerboard,
  eightGaussians,
  gaussianMixture,
  grid,
  pinwheel,
  rings,
  swissRoll,
  TOY_NAMES,
  toy,
  twoMoons,
} from './toy.js';

/** Mean and sample standard deviation. */
function stats(xs: ArrayLike<number>): { mean: number; sd: number; n: number } {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i]!;
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i]! - mean) ** 2;
  return { mean, sd: Math.sqrt(v / (n - 1)), n };
}

/**
 * Sample mean of `xs` is within 5 standard errors of `mu`. Tolerance: by the CLT the sample mean
 * is ~N(mu, sd²/n); 5 standard errors fail with probability < 6e-7 for a correct generator, while
 * the wrong formulas we guard against (wrong radius, scale, offset) are off by tens of standard
 * errors at these sample sizes. Seeds are fixed, so the test is also deterministic.
 */
function expectMean(xs: ArrayLike<number>, mu: number): void {
  const { mean, sd, n } = stats(xs);
  expect(Math.abs(mean - mu), `mean ${mean} vs ${mu} (se ${sd / Math.sqrt(n)})`).toBeLessThan(
    (5 * sd) / Math.sqrt(n) + 1e-12,
  );
}

/**
 * Frequency of an event is p within 5 binomial standard errors (same reasoning as expectMean).
 */
function expectFreq(count: number, n: number, p: number): void {
  expect(Math.abs(count / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
}

function column(data: Float32Array, col: number, filter?: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length / 2; i++) if (!filter || filter(i)) out.push(data[2 * i + col]!);
  return out;
}

const N = 20000;

describe('toy distributions', () => {
  it('every named distribution gives [n, 2] finite points, mostly inside [-4, 4]²', () => {
    for (const name of TOY_NAMES) {
      const d = toy(name, { n: 5000, seed: 3 });
      expect(d.shape).toEqual([5000, 2]);
      expect(d.data).toBeInstanceOf(Float32Array);
      expect(d.data.length).toBe(10000);
      let inside = 0;
      for (let i = 0; i < 5000; i++) {
        const x = d.data[2 * i]!;
        const y = d.data[2 * i + 1]!;
        expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
        if (Math.abs(x) <= 4 && Math.abs(y) <= 4) inside++;
      }
      // documented scale: (nearly) every point in [-4, 4]²
      expect(inside / 5000, name).toBeGreaterThan(0.99);
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    for (const name of TOY_NAMES) {
      const a = toy(name, { n: 100, seed: 42 });
      const b = toy(name, { n: 100, seed: 42 });
      const c = toy(name, { n: 100, seed: 43 });
      expect(b.data).toEqual(a.data);
      expect(c.data).not.toEqual(a.data);
    }
    // negative and large seeds are distinct streams too
    expect(toy('grid', { n: 10, seed: -1 }).data).not.toEqual(
      toy('grid', { n: 10, seed: 2 ** 32 - 1 }).data,
    );
  });

  it('accepts FFJORD spellings', () => {
    expect(toy('moons', { n: 50, seed: 1 }).data).toEqual(twoMoons({ n: 50, seed: 1 }).data);
    expect(toy('8gaussians', { n: 50, seed: 1 }).data).toEqual(
      eightGaussians({ n: 50, seed: 1 }).data,
    );
  });

  it('gaussianMixture: weights, means and standard deviations', () => {
    const means: [number, number][] = [
      [-2, 1],
      [3, -1],
    ];
    const d = gaussianMixture({ n: N, seed: 7, means, std: [0.3, 0.8], weights: [1, 3] });
    const labels = d.labels!;
    let c1 = 0;
    for (const l of labels) c1 += l;
    expectFreq(c1, N, 0.75);
    for (const k of [0, 1]) {
      const xs = column(d.data, 0, (i) => labels[i] === k);
      const ys = column(d.data, 1, (i) => labels[i] === k);
      expectMean(xs, means[k]![0]);
      expectMean(ys, means[k]![1]);
      // sample sd of a normal has standard error ~ sd / sqrt(2 n); 5 of them
      const sd = stats(xs).sd;
      const target = [0.3, 0.8][k]!;
      expect(Math.abs(sd - target)).toBeLessThan((5 * target) / Math.sqrt(2 * xs.length));
    }
  });

  it('eightGaussians: means on the circle of radius 2√2, std 0.35', () => {
    const d = eightGaussians({ n: N, seed: 11 });
    const r = 2 * Math.SQRT2;
    for (let k = 0; k < 8; k++) {
      const sel = (i: number) => d.labels![i] === k;
      const xs = column(d.data, 0, sel);
      expectFreq(xs.length, N, 1 / 8);
      expectMean(xs, r * Math.cos((k * Math.PI) / 4));
      expectMean(column(d.data, 1, sel), r * Math.sin((k * Math.PI) / 4));
      expect(Math.abs(stats(xs).sd - 0.35)).toBeLessThan((5 * 0.35) / Math.sqrt(2 * xs.length));
    }
  });

  it('twoMoons: moon means and squared distance to each moon centre', () => {
    const s = 0.2;
    const d = twoMoons({ n: N, seed: 5 });
    const centres: [number, number][] = [
      [-1, -0.2],
      [1, 0.8],
    ];
    // E[sin t] = 2/pi for t ~ U(0, pi): upper moon y-mean 4/pi - 0.2, lower 0.8 - 4/pi
    const meanY = [4 / Math.PI - 0.2, 0.8 - 4 / Math.PI];
    const meanX = [-1, 1];
    for (const k of [0, 1]) {
      const sel = (i: number) => d.labels![i] === k;
      const xs = column(d.data, 0, sel);
      const ys = column(d.data, 1, sel);
      expectFreq(xs.length, N, 0.5);
      expectMean(xs, meanX[k]!);
      expectMean(ys, meanY[k]!);
      // |p - c|² = |2u + s z|² with |u| = 1: mean 4 + 2 s²
      const d2 = xs.map((x, i) => (x - centres[k]![0]) ** 2 + (ys[i]! - centres[k]![1]) ** 2);
      expectMean(d2, 4 + 2 * s * s);
    }
  });

  it('swissRoll: E r² = E t² / 25 + 2 noise²', () => {
    const s = 0.2;
    const d = swissRoll({ n: N, seed: 9 });
    expect(d.labels).toBeUndefined();
    const a = 1.5 * Math.PI;
    const b = 4.5 * Math.PI;
    const et2 = (a * a + a * b + b * b) / 3;
    const xs = column(d.data, 0);
    const ys = column(d.data, 1);
    expectMean(
      xs.map((x, i) => x * x + ys[i]! ** 2),
      et2 / 25 + 2 * s * s,
    );
    // noise-free roll: radius = t / 5 and angle = t (mod 2π)
    const clean = swissRoll({ n: 200, seed: 9, noise: 0 });
    for (let i = 0; i < 200; i++) {
      const x = clean.data[2 * i]!;
      const y = clean.data[2 * i + 1]!;
      const t = 5 * Math.hypot(x, y);
      expect(t).toBeGreaterThanOrEqual(a - 1e-4);
      expect(t).toBeLessThanOrEqual(b + 1e-4);
      expect(Math.abs(x - (t * Math.cos(t)) / 5)).toBeLessThan(1e-4);
    }
  });

  it('rings: equal ring frequencies and E r² = r_k² + 2 noise² per ring', () => {
    const s = 0.08;
    const d = rings({ n: N, seed: 13 });
    for (let k = 0; k < 4; k++) {
      const sel = (i: number) => d.labels![i] === k;
      const xs = column(d.data, 0, sel);
      const ys = column(d.data, 1, sel);
      expectFreq(xs.length, N, 0.25);
      const rk = (3.5 * (k + 1)) / 4;
      expectMean(
        xs.map((x, i) => x * x + ys[i]! ** 2),
        rk * rk + 2 * s * s,
      );
      expectMean(xs, 0);
    }
  });

  it('checkerboard: every point on a dark square, squares equally likely', () => {
    const d = checkerboard({ n: N, seed: 17 });
    const counts = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      const x = d.data[2 * i]!;
      const y = d.data[2 * i + 1]!;
      expect(Math.abs(x) <= 4 && Math.abs(y) <= 4).toBe(true);
      const col = Math.floor((x + 4) / 2);
      const row = Math.floor((y + 4) / 2);
      expect((row + col) % 2).toBe(0);
      expect(d.labels![i]).toBe(row * 4 + col);
      counts.set(row * 4 + col, (counts.get(row * 4 + col) ?? 0) + 1);
    }
    expect(counts.size).toBe(8);
    for (const c of counts.values()) expectFreq(c, N, 1 / 8);
    expectMean(column(d.data, 0), 0);
    expectMean(column(d.data, 1), 0);
  });

  it('pinwheel: E|x|² = 4 (1 + radialStd² + tangentialStd²), arms equally likely', () => {
    const d = pinwheel({ n: N, seed: 19 });
    const xs = column(d.data, 0);
    const ys = column(d.data, 1);
    expectMean(
      xs.map((x, i) => x * x + ys[i]! ** 2),
      4 * (1 + 0.3 ** 2 + 0.1 ** 2),
    );
    for (let k = 0; k < 5; k++) {
      let c = 0;
      for (const l of d.labels!) if (l === k) c++;
      expectFreq(c, N, 0.2);
    }
  });

  it('grid: 25 cells, means on the lattice, std 0.1', () => {
    const d = grid({ n: N, seed: 23 });
    for (const cell of [0, 7, 12, 24]) {
      const sel = (i: number) => d.labels![i] === cell;
      const xs = column(d.data, 0, sel);
      const ys = column(d.data, 1, sel);
      expectFreq(xs.length, N, 1 / 25);
      expectMean(xs, -3 + 1.5 * (cell % 5));
      expectMean(ys, -3 + 1.5 * Math.floor(cell / 5));
      expect(Math.abs(stats(xs).sd - 0.1)).toBeLessThan((5 * 0.1) / Math.sqrt(2 * xs.length));
    }
  });

  it('noise option changes the spread', () => {
    const d = grid({ n: N, seed: 23, noise: 0.3 });
    const xs = column(d.data, 0, (i) => d.labels![i] === 12);
    expect(Math.abs(stats(xs).sd - 0.3)).toBeLessThan((5 * 0.3) / Math.sqrt(2 * xs.length));
  });

  it('rejects bad input with typed errors naming the argument', () => {
    const cases: [() => unknown, string][] = [
      [() => toy('nope', { n: 10, seed: 0 }), 'name'],
      [() => toy('toString', { n: 10, seed: 0 }), 'name'],
      [() => toy('rings', { n: 0, seed: 0 }), 'options.n'],
      [() => toy('rings', { n: 1.5, seed: 0 }), 'options.n'],
      [() => toy('rings', { n: 10 } as never), 'options.seed'],
      [() => toy('rings', { n: 10, seed: 0.5 }), 'options.seed'],
      [() => toy('rings', { n: 10, seed: 0, noise: -1 }), 'options.noise'],
      [() => toy('rings', { n: 10, seed: 0, noise: Number.NaN }), 'options.noise'],
      [() => toy('rings', undefined as never), 'options'],
      [() => gaussianMixture({ n: 10, seed: 0, means: [[0, Number.NaN]] }), 'options.means[0]'],
      [() => gaussianMixture({ n: 10, seed: 0, means: [[0, 0]], std: [1, 2] }), 'options.std'],
      [() => gaussianMixture({ n: 10, seed: 0, means: [[0, 0]], weights: [0] }), 'options.weights'],
      [() => checkerboard({ n: 10, seed: 0, cells: 3 }), 'options.cells'],
    ];
    for (const [fn, arg] of cases) {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, arg).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).code).toBe('E_INVALID_ARGUMENT');
      expect((err as DatasetError).argument).toBe(arg);
      expect((err as DatasetError).message).toContain(arg);
    }
  });
});
