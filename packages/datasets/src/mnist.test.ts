import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from './errors.js';
import type { LabelledImageDataset } from './images.js';
import { loadMnist, loadMnistRaw, type MnistRaw } from './mnist.js';

const require = createRequire(import.meta.url);
const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');

let raw: MnistRaw;
let full: LabelledImageDataset;
beforeAll(async () => {
  raw = await loadMnistRaw();
  full = await loadMnist();
});

describe('bundled MNIST', () => {
  it('holds exactly the 10,000 digits of the mnist package (as a multiset per class)', () => {
    for (let d = 0; d < 10; d++) {
      const json: number[] = JSON.parse(readFileSync(join(digitsDir, `${d}.json`), 'utf8')).data;
      const fromPackage: string[] = [];
      for (let i = 0; i < json.length / 784; i++) {
        fromPackage.push(
          json
            .slice(i * 784, (i + 1) * 784)
            .map((v) => Math.round(v * 255))
            .join(','),
        );
      }
      const bundled: string[] = [];
      for (let i = 0; i < 10000; i++) {
        if (raw.labels[i] === d)
          bundled.push(Array.from(raw.pixels.subarray(i * 784, (i + 1) * 784)).join(','));
      }
      expect(bundled.length, `digit ${d}`).toBe(fromPackage.length);
      expect(bundled.sort()).toEqual(fromPackage.sort());
    }
  });

  it('is in a shuffled order: the first 500 digits contain every class', () => {
    expect(new Set(raw.labels.subarray(0, 500)).size).toBe(10);
    expect(Math.max(...raw.labels)).toBe(9);
  });

  it('default: [10000, 32, 32, 1] in [-1, 1], padded with -1, pixel = 2 b / 255 - 1', () => {
    const { data, shape, labels } = full;
    expect(shape).toEqual([10000, 32, 32, 1]);
    expect(data).toBeInstanceOf(Float32Array);
    expect(data.length).toBe(10000 * 1024);
    expect(labels).toEqual(raw.labels);
    let min = Infinity;
    let max = -Infinity;
    for (const v of data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(-1);
    expect(max).toBe(1);
    for (const i of [0, 1, 4321, 9999]) {
      const img = data.subarray(i * 1024, (i + 1) * 1024);
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const v = img[y * 32 + x]!;
          if (y < 2 || y >= 30 || x < 2 || x >= 30) expect(v).toBe(-1);
          else
            expect(v).toBeCloseTo((2 * raw.pixels[i * 784 + (y - 2) * 28 + (x - 2)]!) / 255 - 1, 6);
        }
      }
    }
  });

  it('n, digits, pad, range, flatten', async () => {
    const a = await loadMnist({ n: 100, digits: [3, 7], pad: false, range: '0..1' });
    expect(a.shape).toEqual([100, 28, 28, 1]);
    expect(new Set(a.labels)).toEqual(new Set([3, 7]));
    // the first 100 digits among 3s and 7s, in bundled order
    const expected: number[] = [];
    for (let i = 0; expected.length < 100; i++)
      if (raw.labels[i] === 3 || raw.labels[i] === 7) expected.push(i);
    const j = expected[42]!;
    for (let p = 0; p < 784; p++)
      expect(a.data[42 * 784 + p]).toBeCloseTo(raw.pixels[j * 784 + p]! / 255, 6);

    const b = await loadMnist({ n: 5, pad: 4, range: '0..1', flatten: true });
    expect(b.shape).toEqual([5, 36 * 36]);
    expect(b.data[0]).toBe(0); // padding takes the low end of the range
    expect(b.labels).toEqual(raw.labels.subarray(0, 5));
  });

  it('binarize: values in {0, 1} (range 0..1 by default), threshold applied to intensity', async () => {
    const d = await loadMnist({ n: 50, binarize: 0.5, pad: false, flatten: true });
    expect(d.shape).toEqual([50, 784]);
    for (let i = 0; i < d.data.length; i++) {
      expect(d.data[i]).toBe(raw.pixels[i]! / 255 >= 0.5 ? 1 : 0);
    }
    const pm = await loadMnist({ n: 2, binarize: 0.5, range: '-1..1' });
    expect(new Set(pm.data)).toEqual(new Set([-1, 1]));
  });

  it("binarize: 'sample' turns each pixel on with probability equal to its intensity", async () => {
    const n = 2000;
    const d = await loadMnist({ n, binarize: 'sample', seed: 7, pad: false, flatten: true });
    expect(d.shape).toEqual([n, 784]);
    // Overall and per intensity bin: the fraction of ones must match the mean intensity. Given
    // the intensities p_i the binarised pixels are independent Bernoulli(p_i), so the fraction of
    // ones in a set S has mean mean(p) and standard deviation sqrt(sum p(1-p)) / |S| (about 2.6e-4
    // overall here); 4 standard deviations is a two-sided p-value of 6e-5 per check. A threshold
    // instead of sampling would fail every inner bin (e.g. all zeros in (0, 0.25]).
    const edges = [0, 0.25, 0.5, 0.75, 1];
    const bins = edges.slice(1).map(() => ({ count: 0, ones: 0, p: 0, v: 0 }));
    const all = { count: 0, ones: 0, p: 0, v: 0 };
    let wrong = 0;
    for (let i = 0; i < n * 784; i++) {
      const p = raw.pixels[i]! / 255;
      const b = d.data[i]!;
      if (p === 0 || p === 1) {
        if (b !== p) wrong++; // intensity 0 is never on, 1 always is
      } else {
        if (b !== 0 && b !== 1) wrong++;
        const bin = bins[edges.findIndex((e, k) => p > e && p <= edges[k + 1]!)]!;
        for (const s of [bin, all]) {
          s.count++;
          s.ones += b;
          s.p += p;
          s.v += p * (1 - p);
        }
      }
    }
    expect(wrong).toBe(0);
    for (const s of [all, ...bins]) {
      expect(s.count).toBeGreaterThan(10000);
      const sd = Math.sqrt(s.v) / s.count;
      expect(Math.abs(s.ones / s.count - s.p / s.count)).toBeLessThan(4 * sd);
    }
  });

  it("binarize: 'sample' is deterministic for a seed, prefix-stable in n, and seeds differ", async () => {
    const opts = { binarize: 'sample', pad: false, flatten: true } as const;
    const a = await loadMnist({ ...opts, n: 200, seed: 3 });
    const b = await loadMnist({ ...opts, n: 200, seed: 3 });
    expect(b.data).toEqual(a.data);
    const prefix = await loadMnist({ ...opts, n: 50, seed: 3 });
    expect(prefix.data).toEqual(a.data.subarray(0, 50 * 784));
    const c = await loadMnist({ ...opts, n: 200, seed: 4 });
    let differ = 0;
    let expected = 0;
    let variance = 0;
    for (let i = 0; i < a.data.length; i++) {
      if (a.data[i] !== c.data[i]) differ++;
      const p = raw.pixels[i]! / 255;
      const q = 2 * p * (1 - p); // P(two independent draws disagree)
      expected += q;
      variance += q * (1 - q);
    }
    // independent seeds disagree about as often as independent draws should: the count is
    // Poisson-binomial (mean about 5,900, sd about 61 here); 5 sd is a two-sided p-value of 6e-7
    expect(Math.abs(differ - expected)).toBeLessThan(5 * Math.sqrt(variance));
    // range -1..1 maps {0, 1} to {-1, 1}; padding takes the low end
    const pm = await loadMnist({ n: 3, binarize: 'sample', seed: 1, range: '-1..1' });
    expect(new Set(pm.data)).toEqual(new Set([-1, 1]));
    expect(pm.data[0]).toBe(-1);
  });

  it('rejects bad options with typed errors', async () => {
    const cases: [unknown, string][] = [
      [{ n: 0 }, 'options.n'],
      [{ n: 2.5 }, 'options.n'],
      [{ n: 20000 }, 'options.n'],
      [{ digits: [10] }, 'options.digits'],
      [{ digits: [256] }, 'options.digits[0]'],
      [{ digits: [] }, 'options.digits'],
      [{ n: 2000, digits: [1] }, 'options.n'],
      [{ pad: -1 }, 'options.pad'],
      [{ range: '0..255' }, 'options.range'],
      [{ binarize: 0 }, 'options.binarize'],
      [{ binarize: 1.5 }, 'options.binarize'],
      [{ binarize: 'threshold' }, 'options.binarize'],
      [{ binarize: 'sample' }, 'options.seed'],
      [{ binarize: 'sample', seed: 1.5 }, 'options.seed'],
      [{ binarize: 0.5, seed: 1 }, 'options.seed'],
      [{ seed: 1 }, 'options.seed'],
      [{ flatten: 'yes' }, 'options.flatten'],
      [{ digits: [1], classes: [2] }, 'options.classes'],
      ['n=5', 'options'],
    ];
    for (const [opts, arg] of cases) {
      const err = await loadMnist(opts as never).catch((e: unknown) => e);
      expect(err, arg).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).code).toBe('E_INVALID_ARGUMENT');
      expect((err as DatasetError).argument).toBe(arg);
    }
  });
});
