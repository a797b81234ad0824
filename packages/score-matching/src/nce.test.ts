import { createRng, InvalidArgumentError, ShapeError } from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { fitScoreMatching, gaussianNoise, nce } from './index.js';
import { chol, gaussianModel, gaussianSamples, inv2, meanSe } from './test-utils.js';

const MU = [0.5, -1];
const SIGMA = [
  [1, 0.6],
  [0.6, 2],
];
const data = gaussianSamples(4096, MU, SIGMA, 31);
afterAll(() => data.dispose());

describe('gaussianNoise', () => {
  it('fits the sample mean and covariance; logProb is the normalised Gaussian density', () => {
    const noise = gaussianNoise(data, { jitter: 0 });
    const mean = Array.from(noise.mean.dataSync());
    const L = tf.tidy(() =>
      tf.matMul(noise.scaleTril, noise.scaleTril, false, true).arraySync(),
    ) as number[][];
    // Sample mean of 4096 draws: within 4 SE (SE_i = sqrt(Σ_ii / 4096)) of μ.
    mean.forEach((m, i) => {
      expect(Math.abs(m - MU[i]!)).toBeLessThan(4 * Math.sqrt(SIGMA[i]![i]! / 4096));
    });
    const cov = L;
    // Against the sample covariance computed here independently (float32: 1e-4).
    const xs = data.arraySync();
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        let c = 0;
        for (const r of xs) c += (r[i]! - mean[i]!) * (r[j]! - mean[j]!);
        expect(cov[i]![j]).toBeCloseTo(c / (xs.length - 1), 4);
      }
    }
    const x = tf.tensor2d([
      [0, 0],
      [1, -2],
      [3, 1],
    ]);
    const got = Array.from(noise.logProb(x).dataSync());
    const P = inv2(cov);
    const det = cov[0]![0]! * cov[1]![1]! - cov[0]![1]! * cov[1]![0]!;
    x.arraySync().forEach((r, k) => {
      const d0 = r[0]! - mean[0]!;
      const d1 = r[1]! - mean[1]!;
      const q = d0 * (P[0]![0]! * d0 + P[0]![1]! * d1) + d1 * (P[1]![0]! * d0 + P[1]![1]! * d1);
      expect(got[k]).toBeCloseTo(-Math.log(2 * Math.PI) - 0.5 * Math.log(det) - 0.5 * q, 4);
    });
    x.dispose();
    noise.dispose();
  });

  it('samples have the fitted moments (scaled) and the data shape', () => {
    const noise = gaussianNoise(data, { scale: 2 });
    const s = noise.sample(20000, createRng(1));
    expect(s.shape).toEqual([20000, 2]);
    const cols = tf.tidy(() => tf.unstack(s, 1).map((c) => Array.from(c.dataSync())));
    const fitted = Array.from(noise.mean.dataSync());
    const cov = tf.tidy(() =>
      tf.matMul(noise.scaleTril, noise.scaleTril, false, true).arraySync(),
    ) as number[][];
    cols.forEach((c, i) => {
      const r = meanSe(c);
      expect(Math.abs(r.mean - fitted[i]!)).toBeLessThan(4 * r.se);
      // Σ_ii of the noise is 4× the data's (scale 2): compare with the factor's own L Lᵀ and
      // with 4 Σ_data (sample variance of 20000 normals: relative SE sqrt(2/20000) = 1%, 4%
      // band; the data's own sample covariance adds ~2% more against the population value).
      const v = r.se ** 2 * c.length;
      expect(Math.abs(v / cov[i]![i]! - 1)).toBeLessThan(0.04);
      expect(Math.abs(v / (4 * SIGMA[i]![i]!) - 1)).toBeLessThan(0.1);
    });
    const img = gaussianNoise(tf.randomNormal([64, 2, 2, 1], 0, 1, 'float32', 2), {
      covariance: 'diagonal',
    });
    const y = img.sample(3, createRng(2));
    expect(y.shape).toEqual([3, 2, 2, 1]);
    expect(img.logProb(y).shape).toEqual([3]);
    tf.dispose([s, y]);
    img.dispose();
    noise.dispose();
    expect(() => noise.sample(1, createRng(1))).toThrow(InvalidArgumentError);
  });

  it('rejects bad data and options', () => {
    expect(() => gaussianNoise(tf.zeros([1, 2]))).toThrow(ShapeError);
    expect(() => gaussianNoise(data, { scale: 0 })).toThrow(/options.scale/);
    expect(() => gaussianNoise(data, { covariance: 'band' as 'full' })).toThrow(
      InvalidArgumentError,
    );
    expect(() =>
      gaussianNoise(
        tf.tensor2d([
          [NaN, 1],
          [2, 3],
        ]),
      ),
    ).toThrow(/data/);
  });
});

describe('nce', () => {
  it('learns the parameters and the log-normaliser of a Gaussian energy', async () => {
    // True log Z of E = ½‖(x − m)L‖² at the data's precision: log 2π − log det L.
    const lTrue = chol(inv2(SIGMA));
    const logZTrue = Math.log(2 * Math.PI) - Math.log(lTrue[0]![0]! * lTrue[1]![1]!);
    const g = gaussianModel(
      [0, 0],
      [
        [1, 0],
        [0, 1],
      ],
    );
    const r = await fitScoreMatching({
      model: g,
      loss: 'nce',
      nce: { ratio: 1 }, // default noise: a Gaussian fitted to the data; logZ created at 0
      data,
      optimizer: tf.train.adam(0.05),
      steps: 300,
      batchSize: 256,
      seed: 3,
    });
    const logZ = r.logZ!.dataSync()[0]!;
    const m = Array.from(g.m.dataSync());
    const L = g.L.arraySync() as number[][];
    const logZModel = Math.log(2 * Math.PI) - Math.log(Math.abs(L[0]![0]! * L[1]![1]!));
    // Self-normalisation: the learned log Z matches the learned energy's own normaliser, and
    // both match the truth. Tolerance 0.1 nats: with 4096 data points the NCE estimate of log Z
    // has a standard error of order 1/sqrt(4096) ≈ 0.02 (times a factor of order 1 for ν = 1),
    // plus the optimiser's residual noise at a constant step size (batch 256).
    expect(Math.abs(logZ - logZModel)).toBeLessThan(0.1);
    expect(Math.abs(logZ - logZTrue)).toBeLessThan(0.1);
    m.forEach((v, i) => {
      expect(Math.abs(v - MU[i]!)).toBeLessThan(0.1);
    });
    r.logZ!.dispose();
    g.dispose();
  });

  it('accepts a fixed logZ number, frees its intermediates, rejects bad options', async () => {
    const g = gaussianModel(MU, chol(inv2(SIGMA)));
    const noise = gaussianNoise(data);
    const x = data.slice(0, 64);
    await expectNoLeak(() => nce(g.energy, x, { noise, logZ: 1.2, seed: 1 }).dispose());
    expect(() => nce(g.energy, x, { noise, logZ: 0, ratio: 0 })).toThrow(/options.ratio/);
    expect(() => nce(g.energy, x, { noise, logZ: tf.zeros([2]) })).toThrow(ShapeError);
    expect(() => nce(g.energy, x, { noise: {} as typeof noise, logZ: 0 })).toThrow(/options.noise/);
    const badNoise = { sample: (n: number) => tf.zeros([n, 3]), logProb: noise.logProb };
    expect(() => nce(g.energy, x, { noise: badNoise, logZ: 0 })).toThrow(ShapeError);
    x.dispose();
    noise.dispose();
    g.dispose();
  });
});
