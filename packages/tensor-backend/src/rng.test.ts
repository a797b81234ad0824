import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { createRng, Rng, toRng } from './rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('seeded random streams', () => {
  it('same seed gives the same numbers and tensors; different seeds differ', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    expect([a.random(), a.random(), a.int(10)]).toEqual([b.random(), b.random(), b.int(10)]);
    const ta = a.normal([100]);
    const tb = b.normal([100]);
    const tc = c.normal([100]);
    expect(Array.from(ta.dataSync())).toEqual(Array.from(tb.dataSync()));
    expect(Array.from(ta.dataSync())).not.toEqual(Array.from(tc.dataSync()));
    tf.dispose([ta, tb, tc]);
  });

  it('state round-trips: a restored stream continues exactly', () => {
    const a = createRng(7);
    a.random();
    a.nextSeed();
    const restored = Rng.fromState(JSON.parse(JSON.stringify(a.getState())));
    expect(restored.random()).toBe(a.random());
    const ua = a.uniform([5], -1, 1);
    const ub = restored.uniform([5], -1, 1);
    expect(Array.from(ua.dataSync())).toEqual(Array.from(ub.dataSync()));
    tf.dispose([ua, ub]);
  });

  it('uniform JS draws have mean 1/2 and variance 1/12 (n = 20000, 5 sigma tolerance)', () => {
    const r = createRng(1);
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.random();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      s += u;
      s2 += u * u;
    }
    const mean = s / n;
    const v = s2 / n - mean * mean;
    // SE of the mean = sqrt(1/12 / n) = 0.002; of the variance about sqrt(1/180 / n) = 0.0005.
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * 0.00204);
    expect(Math.abs(v - 1 / 12)).toBeLessThan(5 * 0.00053);
  });

  it('gaussian() and normal() have the right moments (n = 20000, 5 sigma)', () => {
    const r = createRng(3);
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const g = r.gaussian();
      s += g;
      s2 += g * g;
    }
    // SE of the mean 1/sqrt(n) = 0.0071; of the variance sqrt(2/n) = 0.01.
    expect(Math.abs(s / n)).toBeLessThan(5 * 0.0071);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * 0.01);
    const t = r.normal([n], 2, 3);
    const { mean, variance } = tf.moments(t);
    expect(Math.abs(mean.dataSync()[0]! - 2)).toBeLessThan(5 * 3 * 0.0071);
    expect(Math.abs(variance.dataSync()[0]! / 9 - 1)).toBeLessThan(5 * 0.01);
    tf.dispose([t, mean, variance]);
  });

  it('bernoulli draws match p and permutation is a permutation', () => {
    const r = createRng(5);
    const b = r.bernoulli(0.3, [20000]);
    const m = tf.mean(b);
    // SE = sqrt(0.21 / 20000) = 0.0032
    expect(Math.abs(m.dataSync()[0]! - 0.3)).toBeLessThan(5 * 0.0032);
    tf.dispose([b, m]);
    const p = r.permutation(50);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('fork gives an independent, reproducible child', () => {
    const a = createRng(9).fork();
    const b = createRng(9).fork();
    expect(a.random()).toBe(b.random());
    expect(toRng(a)).toBe(a);
    expect(toRng(11).random()).toBe(createRng(11).random());
  });

  it('rejects bad seeds and ranges with typed errors', () => {
    expect(() => createRng(-1)).toThrow(InvalidArgumentError);
    expect(() => createRng(1.5)).toThrow(/seed/);
    expect(() => createRng(1).uniform([2], 1, 1)).toThrow(InvalidArgumentError);
    expect(() => createRng(1).int(0)).toThrow(/n/);
    expect(() => Rng.fromState(null as never)).toThrow(InvalidArgumentError);
  });
});
