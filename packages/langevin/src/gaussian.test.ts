/**
 * ULA and MALA against a 2-D Gaussian with a known, non-diagonal covariance.
 *
 * Target: mean mu = [1, -0.5], Sigma = [[1, 0.8], [0.8, 1]] (eigenvalues 1.8 along (1,1)/sqrt2
 * and 0.2 along (1,-1)/sqrt2), energy E(x) = 0.5 (x-mu)^T P (x-mu), P = Sigma^-1.
 *
 * ULA with noise scale eps is x' = x - (eps^2/2) P (x - mu) + eps z, a linear recursion
 * x' - mu = A (x - mu) + eps z with A = I - (eps^2/2) P. Its stationary law is Gaussian with mean
 * mu and covariance S solving S = A S A^T + eps^2 I; A is symmetric and commutes with P, so
 * S = eps^2 (I - A^2)^-1 = (P - (eps^2/4) P^2)^-1, i.e. per eigenvalue lambda of Sigma:
 * s = lambda / (1 - eps^2 / (4 lambda)). At eps = 0.5: 1.8 -> 1.8647, 0.2 -> 0.2909.
 * MALA targets Sigma exactly.
 *
 * Tolerances: the N = 2000 chains are independent (independent starts and noise), so final
 * states are N i.i.d. draws from the chain's law after T steps. The slowest mode of both chains
 * contracts by at most 1 - (eps^2/2)/1.8 ~ 0.93 per step (MALA: the same drift, accepted
 * ~90% of the time), so after 400 steps the start is forgotten to ~1e-10. For i.i.d. Gaussian
 * draws: SE(mean_i) = sqrt(S_ii / N), SE(cov_ij) ~ sqrt((S_ii S_jj + S_ij^2) / N) and the variance
 * along a unit direction u with variance s has SE s sqrt(2 / N). We allow 4.5 standard errors
 * (two-sided p ~ 7e-6 per check; with fixed seeds the test is deterministic anyway) and check
 * that the ULA and MALA answers differ by far more than that along the narrow direction.
 */

import { createRng } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { acceptanceRate, mala } from './mala.js';
import { disposeState, sample } from './sample.js';
import { ula } from './ula.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const mu = [1, -0.5];
const Sigma = [
  [1, 0.8],
  [0.8, 1],
];
const det = Sigma[0]![0]! * Sigma[1]![1]! - Sigma[0]![1]! ** 2;
const P = [
  [Sigma[1]![1]! / det, -Sigma[0]![1]! / det],
  [-Sigma[1]![0]! / det, Sigma[0]![0]! / det],
];

function gaussianEnergy(x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const d = tf.sub(x, tf.tensor1d(mu));
    return tf.mul(
      tf.sum(tf.mul(tf.matMul(d as tf.Tensor2D, tf.tensor2d(P)), d), 1),
      0.5,
    ) as tf.Tensor1D;
  });
}

const N = 2000;
const T = 400;
const EPS = 0.5;
const Z = 4.5;

interface Moments {
  mean: number[];
  cov: number[][];
  varWide: number; // variance along (1, 1)/sqrt2
  varNarrow: number; // variance along (1, -1)/sqrt2
}

function moments(x: tf.Tensor): Moments {
  const rows = x.arraySync() as number[][];
  const n = rows.length;
  const mean = [0, 0];
  for (const r of rows) for (let i = 0; i < 2; i++) mean[i]! += r[i]! / n;
  const cov = [
    [0, 0],
    [0, 0],
  ];
  let vw = 0;
  let vn = 0;
  for (const r of rows) {
    const d = [r[0]! - mean[0]!, r[1]! - mean[1]!];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) cov[i]![j]! += (d[i]! * d[j]!) / (n - 1);
    vw += ((d[0]! + d[1]!) / Math.SQRT2) ** 2 / (n - 1);
    vn += ((d[0]! - d[1]!) / Math.SQRT2) ** 2 / (n - 1);
  }
  return { mean, cov, varWide: vw, varNarrow: vn };
}

/** Checks sample moments against a Gaussian with mean mu and covariance S (eigen-variances w, v). */
function expectMoments(m: Moments, S: number[][], wide: number, narrow: number) {
  for (let i = 0; i < 2; i++) {
    expect(Math.abs(m.mean[i]! - mu[i]!)).toBeLessThan(Z * Math.sqrt(S[i]![i]! / N));
    for (let j = 0; j < 2; j++) {
      const se = Math.sqrt((S[i]![i]! * S[j]![j]! + S[i]![j]! ** 2) / N);
      expect(Math.abs(m.cov[i]![j]! - S[i]![j]!)).toBeLessThan(Z * se);
    }
  }
  expect(Math.abs(m.varWide - wide)).toBeLessThan(Z * wide * Math.sqrt(2 / N));
  expect(Math.abs(m.varNarrow - narrow)).toBeLessThan(Z * narrow * Math.sqrt(2 / N));
}

/** ULA's stationary covariance in closed form (see the header). */
function ulaStationary(eps: number) {
  const s = (lambda: number) => lambda / (1 - (eps * eps) / (4 * lambda));
  const wide = s(1.8);
  const narrow = s(0.2);
  // back to coordinates: V diag(wide, narrow) V^T with V = [[1, 1], [1, -1]] / sqrt2
  const S = [
    [(wide + narrow) / 2, (wide - narrow) / 2],
    [(wide - narrow) / 2, (wide + narrow) / 2],
  ];
  return { S, wide, narrow };
}

// Chains start far from the target (N(0, 0.1^2 I) around the origin), so the test also sees
// convergence, not just invariance.
function startPoints(seed: number): tf.Tensor {
  const rng = createRng(seed);
  return rng.normal([N, 2], 0, 0.1);
}

describe('ULA on a correlated 2-D Gaussian', () => {
  it('matches the closed-form stationary covariance of the discretised chain (biased)', async () => {
    const x0 = startPoints(11);
    const { samples } = await sample(ula(gaussianEnergy, { stepSize: EPS, seed: 1 }), x0, {
      steps: T,
    });
    const m = moments(samples);
    const { S, wide, narrow } = ulaStationary(EPS);
    expectMoments(m, S, wide, narrow);
    // the bias is real: the narrow variance is far from the target's 0.2
    expect(m.varNarrow - 0.2).toBeGreaterThan(
      Z * 0.2 * Math.sqrt(2 / N) + Z * narrow * Math.sqrt(2 / N),
    );
    tf.dispose([x0, samples]);
  });
});

describe('MALA on a correlated 2-D Gaussian', () => {
  it('is unbiased: matches the target mean and covariance at a step where ULA is not', async () => {
    const x0 = startPoints(12);
    const result = await sample(mala(gaussianEnergy, { stepSize: EPS, seed: 2 }), x0, {
      steps: T,
      keepState: true,
    });
    const m = moments(result.samples);
    expectMoments(m, Sigma, 1.8, 0.2);
    const rate = acceptanceRate(result.state!);
    expect(rate).toBeGreaterThan(0.5);
    expect(rate).toBeLessThan(1);
    x0.dispose();
    disposeState(result.state!);
  });

  it('acceptance rate falls as the step grows and is near 1 for tiny steps', async () => {
    // Chains start at exact target draws (x = mu + L z), so every step is at stationarity.
    const n = 500;
    const L = [
      [1, 0],
      [0.8, 0.6],
    ]; // Cholesky factor of Sigma
    const z = createRng(21).normal([n, 2]);
    const x0 = tf.tidy(() => tf.add(tf.matMul(z, tf.tensor2d(L), false, true), tf.tensor1d(mu)));
    const rates: number[] = [];
    const steps = [0.02, 0.4, 0.7, 1.0, 1.4];
    for (const [k, eps] of steps.entries()) {
      const r = await sample(mala(gaussianEnergy, { stepSize: eps, seed: 30 + k }), x0, {
        steps: 40,
        keepState: true,
      });
      rates.push(acceptanceRate(r.state!));
      disposeState(r.state!);
    }
    // 500 chains x 40 steps = 20000 accept decisions per rate (correlated within a chain, but even
    // counting only 500 independent chains the SE is <= 0.5/sqrt(500) ~ 0.022); the gaps below
    // between neighbouring step sizes are much larger than that.
    expect(rates[0]).toBeGreaterThan(0.995);
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]! - 0.03);
    expect(rates[rates.length - 1]).toBeLessThan(0.5);
    tf.dispose([z, x0]);
  });

  it('info.acceptRate per step averages to the running acceptance rate', () => {
    const x0 = startPoints(5);
    const s = mala(gaussianEnergy, { stepSize: 0.8, seed: 4 });
    let st = s.init(x0);
    let sum = 0;
    for (let i = 0; i < 10; i++) {
      const [next, info] = s.step(st);
      sum += info.acceptRate.dataSync()[0]!;
      disposeState(st);
      disposeState(info);
      st = next;
    }
    expect(acceptanceRate(st)).toBeCloseTo(sum / 10, 5);
    x0.dispose();
    tf.dispose(st); // states are TensorContainers too
  });
});
