// The small computation shown on /live/backend/. e2e/run.mjs recomputes the same numbers in plain
// Node from the same formulas, so keep the two in sync.
import * as tf from '@tensorflow/tfjs';

export const N = 64;

/** A[i][k] = ((7i + 3k) mod 11 - 5) / 8 */
export function matA(i: number, k: number): number {
  return (((7 * i + 3 * k) % 11) - 5) / 8;
}
/** B[k][j] = ((5k + 2j) mod 13 - 6) / 16 */
export function matB(k: number, j: number): number {
  return (((5 * k + 2 * j) % 13) - 6) / 16;
}
/** Points where the gradient of f(x) = sum(x^2 sin x) is evaluated. */
export const GRAD_POINTS = [-2, -1, -0.5, 0, 0.5, 1, 2];

export interface DemoResult {
  backend: string;
  matmul: { sum: number; trace: number; first: number; last: number };
  grad: number[];
  /** milliseconds for the computation, including reading the results back */
  ms: number;
}

function fill(f: (r: number, c: number) => number): Float32Array {
  const out = new Float32Array(N * N);
  for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) out[r * N + c] = f(r, c);
  return out;
}

/** Runs the demo on the active backend; disposes every tensor it makes. */
export async function runDemo(): Promise<DemoResult> {
  const a0 = fill(matA);
  const b0 = fill(matB);
  const t0 = performance.now();
  const [stats, grad] = tf.tidy(() => {
    const a = tf.tensor2d(a0, [N, N]);
    const b = tf.tensor2d(b0, [N, N]);
    const c = tf.matMul(a, b);
    const diag = tf.sum(tf.mul(c, tf.eye(N)));
    const s = tf.stack([
      tf.sum(c),
      diag,
      c.slice([0, 0], [1, 1]).reshape([]),
      c.slice([N - 1, N - 1], [1, 1]).reshape([]),
    ]);
    const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.square(x), tf.sin(x)));
    const g = tf.grad(f)(tf.tensor1d(GRAD_POINTS));
    return [s, g];
  });
  const [sv, gv] = await Promise.all([stats.data(), grad.data()]);
  const ms = performance.now() - t0;
  stats.dispose();
  grad.dispose();
  return {
    backend: tf.getBackend(),
    matmul: { sum: sv[0]!, trace: sv[1]!, first: sv[2]!, last: sv[3]! },
    grad: Array.from(gv),
    ms,
  };
}
