/**
 * The losses and their weight gradients agree between the pure-JS cpu backend (where the other
 * tests run) and wasm (the fastest Node backend without tfjs-node), and the third-order
 * gradient of exact score matching passes the finite-difference check on wasm too.
 */
import { initBackend } from '@ebmjs/tensor-backend';
import { gradCheck } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  denoisingScoreMatching,
  type EnergyFn,
  exactScoreMatching,
  nce,
  slicedScoreMatching,
} from './index.js';
import { mlpFromParams, mlpInit } from './test-utils.js';

const SIZES = [2, 16, 16, 1];
const THETA = mlpInit(SIZES, 8);
const X = Float32Array.from({ length: 64 * 2 }, (_, i) => Math.sin(1.7 * i) * 1.5);

/** Noise with the same draws on every backend (a fixed table, no backend RNG). */
const fixedNoise = {
  sample: (n: number) =>
    tf.tensor2d(
      X.slice(0, 2 * n).map((v) => -0.8 * v),
      [n, 2],
    ),
  logProb: (x: tf.Tensor) =>
    tf.tidy(() =>
      tf.sub(tf.mul(-0.5, tf.sum(tf.square(x), 1)), Math.log(2 * Math.PI)),
    ) as tf.Tensor1D,
};

const LOSSES: Record<string, (e: EnergyFn, x: tf.Tensor) => tf.Tensor> = {
  esm: (e, x) => exactScoreMatching(e, x),
  hutchinson: (e, x) => exactScoreMatching(e, x, { hutchinson: true, probes: 2, seed: 3 }),
  ssm: (e, x) => slicedScoreMatching(e, x, { distribution: 'gaussian', seed: 3 }),
  dsm: (e, x) => denoisingScoreMatching(e, x, { sigma: [0.1, 0.5], seed: 3 }),
  nce: (e, x) => nce(e, x, { noise: fixedNoise, logZ: 0.5, seed: 3 }),
};

/** Loss value and weight gradient of every loss on the active backend. */
function evaluate(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const x = tf.tensor2d(X, [64, 2]);
  const theta = tf.tensor1d(THETA);
  for (const [name, loss] of Object.entries(LOSSES)) {
    const { value, grad } = tf.valueAndGrad(
      (t: tf.Tensor) => loss(mlpFromParams(t, SIZES), x) as tf.Scalar,
    )(theta);
    out[name] = [value.dataSync()[0]!, ...grad.dataSync()];
    tf.dispose([value, grad]);
  }
  tf.dispose([x, theta]);
  return out;
}

describe('cpu and wasm agree', () => {
  let cpu: Record<string, number[]>;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    cpu = evaluate();
    await initBackend({ backend: 'wasm' });
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('on every loss value and weight gradient (probes and noise seeded identically)', () => {
    expect(tf.getBackend()).toBe('wasm');
    const wasm = evaluate();
    for (const name of Object.keys(LOSSES)) {
      const a = cpu[name]!;
      const b = wasm[name]!;
      const scale = Math.max(...a.map(Math.abs));
      // float32 kernels differ in summation order: 1e-4 of the largest entry is ~1000 ulps.
      const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
      expect(worst, name).toBeLessThan(1e-4 * scale + 1e-6);
    }
  });

  it('third-order gradients pass the finite-difference check on wasm', () => {
    expect(tf.getBackend()).toBe('wasm');
    const x = tf.tensor2d(X.slice(0, 32), [16, 2]);
    const theta = tf.tensor1d(mlpInit([2, 8, 8, 1], 1));
    const r = gradCheck((t) => exactScoreMatching(mlpFromParams(t, [2, 8, 8, 1]), x), theta, {
      maxCoords: 40,
    });
    expect(r.ok, `max abs error ${r.maxAbsError}`).toBe(true);
    tf.dispose([x, theta]);
  });
});
