/**
 * Model scores and their directional derivatives, differentiable with respect to the weights.
 *
 * @module score
 */

import { assertTensor, InvalidArgumentError, type Rng, ShapeError } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import type { EnergyFn } from './types.js';

/** Distributions of the projection / probe vectors v (all with E[v vᵀ] = I). */
export type ProbeDistribution = 'rademacher' | 'gaussian' | 'sphere';

/** Per-example size D = prod(shape[1:]) of a batch. */
export function exampleSize(x: tf.Tensor): number {
  let d = 1;
  for (let i = 1; i < x.rank; i++) d *= x.shape[i]!;
  return d;
}

/** Calls the energy and checks that it maps `[N, ...]` to `[N]`. */
export function callEnergy(energy: EnergyFn, x: tf.Tensor): tf.Tensor1D {
  const e = energy(x);
  if (!(e instanceof tf.Tensor) || e.rank !== 1 || e.shape[0] !== x.shape[0]) {
    const got = e instanceof tf.Tensor ? `[${e.shape.join(', ')}]` : typeof e;
    throw new ShapeError(
      'energy',
      `must map a batch [${x.shape[0]}, ...] to energies [${x.shape[0]}], got ${got}`,
    );
  }
  return e;
}

/** x ↦ s(x) = -∇x E(x) as a function, for nesting inside other gradients. */
export function scoreFunction(energy: EnergyFn): (x: tf.Tensor) => tf.Tensor {
  return (x) => tf.neg(tf.grad((v: tf.Tensor) => tf.sum(callEnergy(energy, v)))(x));
}

/**
 * The model score s(x) = ∇x log p(x) = -∇x E(x), same shape as `x`. Built with `tf.grad`, so it
 * stays differentiable with respect to the energy's weights (and, through tensor-backend's
 * activations, to any order). Examples must not interact inside the energy (no batch statistics).
 */
export function score(energy: EnergyFn, x: tf.Tensor): tf.Tensor {
  if (typeof energy !== 'function') {
    throw new InvalidArgumentError('energy', `expected an energy function, got ${typeof energy}`);
  }
  assertTensor('x', x);
  if (x.rank < 2)
    throw new ShapeError(
      'x',
      `expected a batch [N, ...] of rank >= 2, got [${x.shape.join(', ')}]`,
    );
  return tf.tidy(() => scoreFunction(energy)(x));
}

/** Sum over every axis but the first: `[B, ...]` → `[B]`. */
export function perExampleSum(t: tf.Tensor): tf.Tensor1D {
  return tf.sum(tf.reshape(t, [t.shape[0]!, -1]), 1) as tf.Tensor1D;
}

/** Repeats a batch `copies` times along the first axis: `[N, ...]` → `[copies·N, ...]`. */
export function tileBatch(x: tf.Tensor, copies: number): tf.Tensor {
  if (copies === 1) return x;
  const reps = [copies, ...new Array<number>(x.rank - 1).fill(1)];
  return tf.tile(x, reps);
}

/**
 * The score s(X) and the quadratic forms vᵀ (∂s/∂x) v, one per row of `X`, for probes `V` of X's
 * shape, with one forward pass and two backward passes: `tf.valueAndGrad(s)(X, V)` returns s(X)
 * and (∂s/∂X)ᵀ V in one call.
 */
export function scoreAndQuadraticForm(
  energy: EnergyFn,
  X: tf.Tensor,
  V: tf.Tensor,
): { s: tf.Tensor; q: tf.Tensor1D } {
  const { value, grad } = tf.valueAndGrad(scoreFunction(energy))(X, V);
  return { s: value, q: perExampleSum(tf.mul(V, grad)) };
}

/** Probe vectors of the given shape `[B, ...]`, with E[v vᵀ] = I per example. */
export function sampleProbes(
  rng: Rng,
  shape: number[],
  distribution: ProbeDistribution,
): tf.Tensor {
  return tf.tidy(() => {
    if (distribution === 'rademacher') {
      return tf.sub(tf.mul(tf.cast(tf.less(rng.uniform(shape), 0.5), 'float32'), 2), 1);
    }
    const g = rng.normal(shape);
    if (distribution === 'gaussian') return g;
    // Uniform on the sphere of radius sqrt(D): then E[v vᵀ] = I, as Song et al. (2019) use.
    const b = shape[0]!;
    const d = g.size / b;
    const flat = tf.reshape(g, [b, d]);
    const norm = tf.sqrt(tf.sum(tf.square(flat), 1, true));
    return tf.reshape(tf.mul(tf.div(flat, norm), Math.sqrt(d)), shape);
  });
}

/**
 * One-hot probes for an exact trace: block k of `[D·N, ...]` holds e_k in every row, so the
 * quadratic forms of block k are the k-th diagonal entries of ∂s/∂x.
 */
export function basisProbes(n: number, exampleShape: number[]): tf.Tensor {
  return tf.tidy(() => {
    const d = exampleShape.reduce((a, b) => a * b, 1);
    const eye = tf.reshape(tf.eye(d), [d, 1, d]);
    return tf.reshape(tf.tile(eye, [1, n, 1]), [d * n, ...exampleShape]);
  });
}
