/**
 * Seeded draws for the Gibbs hot path, generated in JS: each draw takes one 32-bit seed from the
 * model's {@link Rng} and fills a typed array from a xoshiro128** generator seeded with it, so the
 * same seed gives the same chain on every backend. It is cheaper than seeded `tf.randomUniform`:
 * 0.27 ms for a 100 x 784 batch including the upload on wasm, against 0.68 ms (measured on this
 * project's 2-core machine).
 *
 * @module random
 */

import type { Rng } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

/** SplitMix32 finaliser of `x`. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

/**
 * `n` uniforms in [0, 1) with 24-bit resolution from a xoshiro128** generator whose 128-bit state
 * is expanded from `seed` by SplitMix32 (so streams of different seeds do not overlap in practice).
 */
export function uniformArray(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s0 = mix32(seed + 0x9e3779b9);
  let s1 = mix32(seed + 0x3c6ef372);
  let s2 = mix32(seed + 0xdaa66d2b);
  let s3 = mix32(seed + 0x78dde6e4);
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  for (let i = 0; i < n; i++) {
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    out[i] = (r >>> 8) * 2 ** -24;
  }
  return out;
}

/** Bernoulli(p) draws (0/1 floats), elementwise for a probability tensor `p`. */
export function bernoulli(p: tf.Tensor, rng: Rng): tf.Tensor {
  const u = uniformArray(p.size, rng.nextSeed());
  return tf.tidy(() => tf.cast(tf.less(tf.tensor(u, p.shape, 'float32'), p), 'float32'));
}

/** N(0, std^2) draws of the given shape (Box-Muller on the same stream). */
export function normal(shape: number[], std: number, rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = uniformArray(n + (n % 2), rng.nextSeed());
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = std * Math.sqrt(-2 * Math.log(1 - u[i]!));
    const t = 2 * Math.PI * u[i + 1]!;
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return tf.tensor(out, shape, 'float32');
}
