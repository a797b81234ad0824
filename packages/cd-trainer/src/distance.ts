/**
 * Sample-based distances between two point clouds, to check that samples approach the data:
 * the energy distance and the (unbiased) squared MMD with a Gaussian kernel. Both are zero
 * in expectation when the two distributions are equal and grow as they move apart.
 *
 * @module distance
 */

import {
  assertPositive,
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import type { TrainData } from './types.js';

function toMatrix(name: string, x: TrainData): tf.Tensor2D {
  let t: tf.Tensor;
  if (x instanceof tf.Tensor) {
    t = x;
  } else if (x && typeof x === 'object' && 'data' in x && 'shape' in x) {
    const size = x.shape.reduce((a, b) => a * b, 1);
    if (x.data.length !== size) {
      throw new ShapeError(
        name,
        `data has ${x.data.length} values but shape [${x.shape}] needs ${size}`,
      );
    }
    t = tf.tensor(Float32Array.from(x.data), [...x.shape]);
  } else {
    throw new InvalidArgumentError(name, 'expected a tensor or { data, shape }');
  }
  if (t.rank < 1 || t.shape[0] === 0) {
    if (t !== x) t.dispose();
    throw new ShapeError(name, `expected at least one point, got shape [${t.shape}]`);
  }
  const n = t.shape[0]!;
  const m = t.reshape([n, t.size / n]) as tf.Tensor2D;
  if (t !== x) t.dispose();
  return m;
}

/** Pairwise Euclidean distances `[n, m]` between rows. */
function pairwiseSq(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const aa = tf.sum(tf.square(a), 1, true);
  const bb = tf.sum(tf.square(b), 1, true).transpose();
  return tf.relu(tf.sub(tf.add(aa, bb), tf.mul(2, tf.matMul(a, b, false, true)))) as tf.Tensor2D;
}

function readScalar(name: string, t: tf.Tensor): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  if (!Number.isFinite(v)) throw new NonFiniteError(name, 'the points contain NaN or Inf');
  return v;
}

function checkDims(x: tf.Tensor2D, y: tf.Tensor2D): void {
  if (x.shape[1] !== y.shape[1]) {
    const [dx, dy] = [x.shape[1], y.shape[1]];
    x.dispose();
    y.dispose();
    throw new ShapeError('y', `points have ${dy} coordinates but x has ${dx}`);
  }
}

/**
 * Energy distance `2 E|X - Y| - E|X - X'| - E|Y - Y'|` (V-statistic) between the rows of `x`
 * (`[n, ...]`) and `y` (`[m, ...]`), flattened to vectors. Non-negative; 0 iff the empirical
 * distributions coincide. Cost O((n + m)²) memory: subsample large sets.
 */
export function energyDistance(x: TrainData, y: TrainData): number {
  const a = toMatrix('x', x);
  const b = toMatrix('y', y);
  checkDims(a, b);
  const d = tf.tidy(() => {
    const dxy = tf.mean(tf.sqrt(pairwiseSq(a, b)));
    const dxx = tf.mean(tf.sqrt(pairwiseSq(a, a)));
    const dyy = tf.mean(tf.sqrt(pairwiseSq(b, b)));
    return tf.sub(tf.mul(2, dxy), tf.add(dxx, dyy));
  });
  a.dispose();
  b.dispose();
  return readScalar('energyDistance', d);
}

/** Options of {@link mmd}. */
export interface MmdOptions {
  /** Gaussian kernel bandwidth σ in `k(a, b) = exp(-|a - b|² / (2σ²))`. Default 1. */
  bandwidth?: number;
}

/**
 * Unbiased estimate of the squared maximum mean discrepancy between the rows of `x` and `y`
 * with a Gaussian kernel. Its expectation is 0 for equal distributions (so single estimates
 * can be slightly negative). Needs at least two points on each side.
 */
export function mmd(x: TrainData, y: TrainData, options: MmdOptions = {}): number {
  const sigma = options.bandwidth ?? 1;
  assertPositive('options.bandwidth', sigma);
  const a = toMatrix('x', x);
  const b = toMatrix('y', y);
  checkDims(a, b);
  const n = a.shape[0];
  const m = b.shape[0];
  if (n < 2 || m < 2) {
    a.dispose();
    b.dispose();
    throw new ShapeError(n < 2 ? 'x' : 'y', 'mmd needs at least two points on each side');
  }
  const gamma = 1 / (2 * sigma * sigma);
  const d = tf.tidy(() => {
    const k = (p: tf.Tensor2D, q: tf.Tensor2D) => tf.exp(tf.mul(-gamma, pairwiseSq(p, q)));
    // diagonal terms of k(x, x) and k(y, y) are exactly 1: remove them for the U-statistic
    const kxx = tf.div(tf.sub(tf.sum(k(a, a)), n), n * (n - 1));
    const kyy = tf.div(tf.sub(tf.sum(k(b, b)), m), m * (m - 1));
    const kxy = tf.mean(k(a, b));
    return tf.sub(tf.add(kxx, kyy), tf.mul(2, kxy));
  });
  a.dispose();
  b.dispose();
  return readScalar('mmd', d);
}
