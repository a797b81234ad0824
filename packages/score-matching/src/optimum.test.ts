/**
 * Each loss, on Gaussian data with a Gaussian energy (trainable mean m and precision factor L,
 * P = L Lᵀ), is minimised at the true parameters: the gradient there is zero up to sampling
 * noise, while at perturbed parameters it is many standard errors away from zero and the loss
 * on the same batch (same probes, same noise) is higher.
 *
 * Tolerance: the 4096-example batch is split into 16 chunks of 256; the gradient is the mean of
 * the chunk gradients and its standard error (SE) their standard deviation / 4. At the optimum
 * the ratio gradient / SE follows roughly a Student t with 15 degrees of freedom, for which
 * |t| > 4.5 has probability about 4e-4 per coordinate; seeds are fixed. Power: at the perturbed
 * parameters we require some coordinate beyond 10 SE.
 */

import { exp } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  denoisingScoreMatching,
  type EnergyFn,
  exactScoreMatching,
  fisherDivergence,
  gaussianNoise,
  nce,
  slicedScoreMatching,
} from './index.js';
import { chol, gaussianModel, gaussianSamples, gradWithSe, inv2 } from './test-utils.js';

const MU = [0.5, -1];
const SIGMA = [
  [1, 0.6],
  [0.6, 2],
];
const N = 4096;
const CHUNKS = 16;
const data = gaussianSamples(N, MU, SIGMA, 21);
afterAll(() => data.dispose());

type LossOf = (energy: EnergyFn, x: tf.Tensor, seed: number, extra: tf.Variable[]) => tf.Tensor;

function addMat(a: number[][], s: number): number[][] {
  return a.map((r, i) => r.map((v, j) => (i === j ? v + s : v)));
}

/** Gradient/SE at the truth and at a perturbation; loss at both on one batch. */
function checkOptimum(lossOf: LossOf, truth: { m: number[]; L: number[][]; extra?: number[] }) {
  const g = gaussianModel(truth.m, truth.L);
  const extra = (truth.extra ?? []).map((v) => tf.variable(tf.scalar(v)));
  const vars = [g.m, g.L, ...extra];
  const at = (perturb: boolean) => {
    g.m.assign(tf.tensor1d(truth.m.map((v, i) => v + (perturb ? [0.3, -0.2][i]! : 0))));
    g.L.assign(tf.tensor2d(truth.L.map((r) => r.map((v) => v * (perturb ? 1.3 : 1)))));
    extra.forEach((v, i) => {
      v.assign(tf.scalar(truth.extra![i]! + (perturb ? 0.3 : 0)));
    });
    const r = gradWithSe((x, seed) => lossOf(g.energy, x, seed, extra), vars, data, CHUNKS, 100);
    const loss = tf.tidy(() => lossOf(g.energy, data, 7, extra).dataSync()[0]!);
    return { ...r, loss };
  };
  const best = at(false);
  const off = at(true);
  g.dispose();
  tf.dispose(extra);
  for (let i = 0; i < best.grad.length; i++) {
    expect(Math.abs(best.grad[i]!), `coordinate ${i}`).toBeLessThanOrEqual(
      4.5 * best.se[i]! + 1e-6,
    );
  }
  const tMax = Math.max(...off.grad.map((v, i) => Math.abs(v) / (off.se[i]! || Infinity)));
  expect(tMax).toBeGreaterThan(10);
  expect(off.loss).toBeGreaterThan(best.loss);
}

const L_TRUE = chol(inv2(SIGMA));

describe('each loss is minimised at the true parameters (Gaussian data, Gaussian energy)', () => {
  it('fisherDivergence (gradient exactly 0 at the truth)', () => {
    const P = inv2(SIGMA);
    const trueScore = (x: tf.Tensor) =>
      tf.tidy(() => tf.neg(tf.matMul(tf.sub(x, tf.tensor1d(MU)), tf.tensor2d(P))));
    checkOptimum((e, x) => fisherDivergence(e, trueScore, x), { m: MU, L: L_TRUE });
  });

  it('exactScoreMatching (exact trace)', () => {
    checkOptimum((e, x) => exactScoreMatching(e, x), { m: MU, L: L_TRUE });
  });

  it("exactScoreMatching (Hutchinson's trace)", () => {
    checkOptimum((e, x, seed) => exactScoreMatching(e, x, { hutchinson: true, seed }), {
      m: MU,
      L: L_TRUE,
    });
  });

  it('slicedScoreMatching (Gaussian projections)', () => {
    checkOptimum((e, x, seed) => slicedScoreMatching(e, x, { distribution: 'gaussian', seed }), {
      m: MU,
      L: L_TRUE,
    });
  });

  it('slicedScoreMatching (SSM-VR, Rademacher, 2 projections)', () => {
    checkOptimum(
      (e, x, seed) => slicedScoreMatching(e, x, { varianceReduced: true, projections: 2, seed }),
      { m: MU, L: L_TRUE },
    );
  });

  it('denoisingScoreMatching: at the noised data N(μ, Σ + σ²I)', () => {
    const sigma = 0.5;
    checkOptimum((e, x, seed) => denoisingScoreMatching(e, x, { sigma, seed }), {
      m: MU,
      L: chol(inv2(addMat(SIGMA, sigma * sigma))),
    });
  });

  it('nce: at the true parameters and the true log Z', () => {
    // log Z of E = ½‖(x − m)L‖² is D/2 log 2π − log det L.
    const logZ = Math.log(2 * Math.PI) - Math.log(L_TRUE[0]![0]!) - Math.log(L_TRUE[1]![1]!);
    const noise = gaussianNoise(data, { scale: 1.3 });
    checkOptimum((e, x, seed, [lz]) => nce(e, x, { noise, logZ: lz!, ratio: 2, seed }), {
      m: MU,
      L: L_TRUE,
      extra: [logZ],
    });
    noise.dispose();
  });
});

describe('noise-conditional DSM with several levels', () => {
  it('is minimised at the data parameters for every level at once', () => {
    // Data N(μ, diag(v)); conditional energy E(x, σ) = ½ Σ_d (x_d − m_d)² / (e^{a_d} + σ²):
    // the exact score of the noised data when m = μ, a = log v, for every σ.
    const v = [1, 0.25];
    const x = gaussianSamples(
      N,
      MU,
      [
        [v[0]!, 0],
        [0, v[1]!],
      ],
      5,
    );
    const m = tf.variable(tf.tensor1d(MU));
    const a = tf.variable(tf.tensor1d(v.map(Math.log)));
    const energy = (u: tf.Tensor, sigma: tf.Tensor1D) =>
      tf.tidy(() => {
        const varT = tf.add(exp(a), tf.expandDims(tf.square(sigma), 1));
        return tf.mul(0.5, tf.sum(tf.div(tf.square(tf.sub(u, m)), varT), 1)) as tf.Tensor1D;
      });
    const loss = (u: tf.Tensor, seed: number) =>
      denoisingScoreMatching(energy, u, { sigma: [0.2, 0.5, 1], conditional: true, seed });
    const best = gradWithSe(loss, [m, a], x, CHUNKS, 300);
    for (let i = 0; i < best.grad.length; i++) {
      expect(Math.abs(best.grad[i]!)).toBeLessThanOrEqual(4.5 * best.se[i]!);
    }
    a.assign(tf.tensor1d([0, 0])); // variances 1, 1: the second is wrong
    const off = gradWithSe(loss, [m, a], x, CHUNKS, 300);
    expect(Math.abs(off.grad[3]!) / off.se[3]!).toBeGreaterThan(10);
    tf.dispose([x, m, a]);
  });
});
