/**
 * Test fixtures: a Gaussian energy with trainable mean and precision factor, a small MLP energy
 * (as variables, and as a function of one flat parameter tensor for finite differences) and
 * helpers for standard errors. Not part of the build.
 */

import { createRng, swish } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import type { EnergyFn, TrainableEnergy } from './types.js';

/** Row-major lower Cholesky factor of a small SPD matrix. */
export function chol(a: number[][]): number[][] {
  const d = a.length;
  const l = a.map(() => new Array<number>(d).fill(0));
  for (let j = 0; j < d; j++) {
    let s = a[j]![j]!;
    for (let k = 0; k < j; k++) s -= l[j]![k]! ** 2;
    l[j]![j] = Math.sqrt(s);
    for (let i = j + 1; i < d; i++) {
      let v = a[i]![j]!;
      for (let k = 0; k < j; k++) v -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = v / l[j]![j]!;
    }
  }
  return l;
}

export function inv2(a: number[][]): number[][] {
  const [[p, q], [r, s]] = a as [[number, number], [number, number]];
  const det = p * s - q * r;
  return [
    [s / det, -q / det],
    [-r / det, p / det],
  ];
}

/**
 * Gaussian energy E(x) = ½ (x − m)ᵀ P (x − m) with P = L Lᵀ, L lower triangular: trainable
 * `m` [D] and `L` [D, D] (upper part masked out). Unnormalised: log Z = D/2 log 2π − log det L.
 */
export function gaussianModel(
  mean: number[],
  precisionFactor: number[][],
): TrainableEnergy & {
  m: tf.Variable;
  L: tf.Variable;
  dispose(): void;
} {
  const d = mean.length;
  const m = tf.variable(tf.tensor1d(mean));
  const L = tf.variable(tf.tensor2d(precisionFactor));
  const mask = tf.linalg.bandPart(tf.ones([d, d]), -1, 0);
  const energy: EnergyFn = (x) =>
    tf.tidy(
      () =>
        tf.mul(0.5, tf.sum(tf.square(tf.matMul(tf.sub(x, m), tf.mul(L, mask))), 1)) as tf.Tensor1D,
    );
  return {
    energy,
    variables: [m, L],
    m,
    L,
    dispose() {
      m.dispose();
      L.dispose();
      mask.dispose();
    },
  };
}

/** n samples of N(mean, cov) with a fixed seed. */
export function gaussianSamples(
  n: number,
  mean: number[],
  cov: number[][],
  seed: number,
): tf.Tensor2D {
  const c = chol(cov);
  return tf.tidy(() => {
    const eps = tf.randomNormal([n, mean.length], 0, 1, 'float32', seed);
    return tf.add(tf.matMul(eps, tf.tensor2d(c), false, true), tf.tensor1d(mean)) as tf.Tensor2D;
  });
}

/** Parameter count of an MLP energy with these layer sizes (input first, scalar output last). */
export function mlpParamCount(sizes: number[]): number {
  let c = 0;
  for (let i = 0; i + 1 < sizes.length; i++) c += sizes[i]! * sizes[i + 1]! + sizes[i + 1]!;
  return c;
}

/**
 * An MLP energy (swish hidden layers, linear scalar output) reading its weights from one flat
 * tensor, so that `gradCheck` can differentiate a loss with respect to every weight.
 */
export function mlpFromParams(theta: tf.Tensor, sizes: number[]): EnergyFn {
  return (x) =>
    tf.tidy(() => {
      let h: tf.Tensor = x;
      let off = 0;
      for (let i = 0; i + 1 < sizes.length; i++) {
        const a = sizes[i]!;
        const b = sizes[i + 1]!;
        const w = tf.reshape(tf.slice(theta, off, a * b), [a, b]);
        off += a * b;
        const bias = tf.slice(theta, off, b);
        off += b;
        h = tf.add(tf.matMul(h, w), bias);
        if (i + 2 < sizes.length) h = swish(h);
      }
      return tf.reshape(h, [-1]) as tf.Tensor1D;
    });
}

/** Glorot-scaled initial weights of {@link mlpFromParams}, seeded. */
export function mlpInit(sizes: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(mlpParamCount(sizes));
  let off = 0;
  for (let i = 0; i + 1 < sizes.length; i++) {
    const a = sizes[i]!;
    const b = sizes[i + 1]!;
    const std = Math.sqrt(2 / (a + b));
    for (let k = 0; k < a * b; k++) out[off++] = rng.gaussian() * std;
    off += b; // biases start at 0
  }
  return out;
}

/** The same MLP with its weights in one trainable variable. */
export function mlpModel(sizes: number[], seed: number): TrainableEnergy & { theta: tf.Variable } {
  const theta = tf.variable(tf.tensor1d(mlpInit(sizes, seed)));
  return { energy: mlpFromParams(theta, sizes), variables: [theta], theta };
}

/** Mean and standard error of a sample. */
export function meanSe(values: ArrayLike<number>): { mean: number; se: number } {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i]!;
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i]! - mean) ** 2;
  return { mean, se: Math.sqrt(v / (n - 1) / n) };
}

/**
 * Gradient of a batch-averaged loss with respect to `vars`, flattened, with per-coordinate
 * standard errors: the batch is split into `chunks` equal parts, each part's gradient is one
 * draw (fresh probes/noise per part from `seed + k`), the full gradient is their mean and its
 * standard error is their standard deviation / √chunks.
 */
export function gradWithSe(
  loss: (x: tf.Tensor, seed: number) => tf.Tensor,
  vars: tf.Variable[],
  x: tf.Tensor,
  chunks: number,
  seed: number,
): { grad: number[]; se: number[] } {
  const n = x.shape[0]! / chunks;
  const draws: number[][] = [];
  for (let k = 0; k < chunks; k++) {
    const flat = tf.tidy(() => {
      const part = tf.slice(x, k * n, n);
      const { value, grads } = tf.variableGrads(() => loss(part, seed + k) as tf.Scalar, vars);
      value.dispose();
      return tf.concat(vars.map((v) => tf.reshape(grads[v.name] ?? tf.zerosLike(v), [-1])));
    });
    draws.push(Array.from(flat.dataSync()));
    flat.dispose();
  }
  const dim = draws[0]!.length;
  const grad: number[] = [];
  const se: number[] = [];
  for (let i = 0; i < dim; i++) {
    const r = meanSe(draws.map((g) => g[i]!));
    grad.push(r.mean);
    se.push(r.se);
  }
  return { grad, se };
}
