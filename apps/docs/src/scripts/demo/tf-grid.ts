// Evaluating energies and scores on a grid for the heat maps and arrow fields of the demos.
import * as tf from '@tensorflow/tfjs';
import { type Extent, gridPoints } from './canvas.js';

export type EnergyFn = (x: tf.Tensor) => tf.Tensor1D;

/** E on an n×n grid over `extent` (row-major, top row first), read back without blocking. */
export async function energyOnGrid(
  energy: EnergyFn,
  extent: Extent,
  n: number,
): Promise<Float32Array> {
  const e = tf.tidy(() => energy(tf.tensor2d(gridPoints(extent, n), [n * n, 2])));
  const v = (await e.data()) as Float32Array;
  e.dispose();
  return v;
}

/** Points of an m×m grid over `extent` and the score -∇E there (interleaved x, y). */
export async function scoreOnGrid(
  energy: EnergyFn,
  extent: Extent,
  m: number,
): Promise<{ at: Float32Array; score: Float32Array }> {
  const at = gridPoints(extent, m);
  const s = tf.tidy(() => {
    const x = tf.tensor2d(at, [m * m, 2]);
    return tf.neg(tf.grad((v: tf.Tensor) => tf.sum(energy(v)))(x));
  });
  const score = (await s.data()) as Float32Array;
  s.dispose();
  return { at, score };
}

/**
 * mean E(noise) − mean E(data): positive once the model gives data lower energy than uniform
 * noise over the plot (the check of the book's `test_step`; `validate` of @ebmjs/cd-trainer).
 */
export async function separation(
  energy: EnergyFn,
  data: Float32Array,
  noise: Float32Array,
): Promise<number> {
  const d = tf.tidy(() =>
    tf.sub(
      tf.mean(energy(tf.tensor2d(noise, [noise.length / 2, 2]))),
      tf.mean(energy(tf.tensor2d(data, [data.length / 2, 2]))),
    ),
  );
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

/** `n` points uniform over `extent` from a fixed simple generator (the same on every load). */
export function uniformPoints(extent: Extent, n: number, seed = 12345): Float32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const [x0, x1, y0, y1] = extent;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = x0 + next() * (x1 - x0);
    out[2 * i + 1] = y0 + next() * (y1 - y0);
  }
  return out;
}
