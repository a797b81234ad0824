import { NonFiniteError, ShapeError } from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { energyDistance, mmd } from './distance.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('energyDistance', () => {
  it('matches a hand computation on 1-D points', () => {
    // x = {0, 1}, y = {3}: E|X-Y| = (3 + 2)/2 = 2.5, E|X-X'| = (0+1+1+0)/4 = 0.5, E|Y-Y'| = 0
    const d = energyDistance({ data: [0, 1], shape: [2, 1] }, { data: [3], shape: [1, 1] });
    expect(d).toBeCloseTo(2 * 2.5 - 0.5 - 0, 5);
  });

  it('is about 0 for two samples of one distribution and grows with a shift', () => {
    const x = tf.randomNormal([400, 2], 0, 1, 'float32', 1);
    const y = tf.randomNormal([400, 2], 0, 1, 'float32', 2);
    const z = tf.randomNormal([400, 2], 1, 1, 'float32', 3);
    const same = energyDistance(x, y);
    const shifted = energyDistance(x, z);
    // Same-distribution V-statistic with n = 400 is O(1/n) ~ 0.01; a unit shift in 2-D gives
    // about 0.5 (population value 2E|N(1,2I)| - 2E|N(0,2I)|). Wide margins on both sides.
    expect(Math.abs(same)).toBeLessThan(0.03);
    expect(shifted).toBeGreaterThan(0.3);
    tf.dispose([x, y, z]);
  });

  it('flattens images and refuses mismatched or non-finite input', async () => {
    const a = tf.zeros([3, 2, 2, 1]);
    const b = tf.ones([4, 4]);
    expect(energyDistance(a, b)).toBeCloseTo(2 * 2 - 0 - 0, 5);
    expect(() => energyDistance(a, tf.zeros([2, 3]))).toThrow(ShapeError);
    expect(() =>
      energyDistance({ data: [Number.NaN, 0], shape: [2, 1] }, { data: [0], shape: [1, 1] }),
    ).toThrow(NonFiniteError);
    await expectNoLeak(() => energyDistance(a, b), { label: 'energyDistance' });
    tf.dispose([a, b]);
  });
});

describe('mmd', () => {
  it('matches a hand computation and separates shifted samples', () => {
    // x = {0, 1}, y = {0, 2}, sigma = 1: k(d) = exp(-d²/2)
    const k = (d: number) => Math.exp(-(d * d) / 2);
    const expected = k(1) + k(2) - (2 / 4) * (k(0) + k(2) + k(1) + k(1));
    expect(mmd({ data: [0, 1], shape: [2, 1] }, { data: [0, 2], shape: [2, 1] })).toBeCloseTo(
      expected,
      5,
    );
    const x = tf.randomNormal([300, 2], 0, 1, 'float32', 4);
    const y = tf.randomNormal([300, 2], 0, 1, 'float32', 5);
    const z = tf.randomNormal([300, 2], 1.5, 1, 'float32', 6);
    // unbiased estimate: |same| is O(1/n) ~ 0.005; a 1.5 shift gives ~0.3
    expect(Math.abs(mmd(x, y))).toBeLessThan(0.02);
    expect(mmd(x, z)).toBeGreaterThan(0.15);
    expect(() => mmd(x, y, { bandwidth: 0 })).toThrow(/bandwidth/);
    expect(() => mmd({ data: [0], shape: [1, 1] }, y)).toThrow(ShapeError);
    tf.dispose([x, y, z]);
  });
});
