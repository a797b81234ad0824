// The small computation shown on /live/backend/. e2e/run.mjs recomputes the same numbers in plain
// Node from the same formulas, so keep the two in sync.
import { sgldUpdate, swish } from '@ebmjs/tensor-backend';
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
/** Convolution: x [1, 9, 9, 3], filter [3, 3, 3, 8], bias [8], stride 2, 'same' padding. */
export const CONV = { h: 9, w: 9, cin: 3, k: 3, cout: 8, stride: 2 } as const;
/** x[y][x][c] = ((3y + 5x + 7c) mod 17 - 8) / 8 */
export function convX(y: number, x: number, c: number): number {
  return (((3 * y + 5 * x + 7 * c) % 17) - 8) / 8;
}
/** w[a][b][c][o] = ((2a + 3b + 5c + 7o) mod 19 - 9) / 16; bias[o] = (o - 3.5) / 8 */
export function convW(a: number, b: number, c: number, o: number): number {
  return (((2 * a + 3 * b + 5 * c + 7 * o) % 19) - 9) / 16;
}
/** Points where the gradient of f(x) = sum(x^2 sin x) is evaluated. */
export const GRAD_POINTS = [-2, -1, -0.5, 0, 0.5, 1, 2];

/**
 * ebmjs's fused SGLD update (one kernel on wasm and webgl) on a [1, 3, 5, 1] batch: odd sizes (a
 * packed webgl texture holds 2 x 2 values, so texels are partly empty), NaN and infinities next to
 * values that must be clipped and clamped. x[i] = SGLD_X[i] + i / 100.
 */
export const SGLD_X = [0.5, -2, Number.NaN, 1, 3, -0.25, 0, 7, -7, 2, 1e-3, -1e-3, 4, 5, -5];
export const SGLD_G = [
  1,
  Number.NaN,
  0.5,
  -Infinity,
  2,
  -3,
  0.1,
  0,
  1,
  -1,
  Infinity,
  0.2,
  -0.2,
  9,
  -9,
];
export const SGLD_CASES: { stepSize: number; gradClip?: number; clamp?: [number, number] }[] = [
  { stepSize: 0.5, gradClip: 1, clamp: [-1.5, 1.5] },
  { stepSize: 2 },
  { stepSize: -1, clamp: [0, 3] },
  { stepSize: 0.3, gradClip: 0.25 },
];

/** JSON has no NaN or infinities: such values travel as strings. */
export const encode = (v: number): number | string => (Number.isFinite(v) ? v : String(v));

export interface DemoResult {
  backend: string;
  matmul: { sum: number; trace: number; first: number; last: number };
  grad: number[];
  /** conv2d + bias (the kernel energy nets run), all 4 x 4 x 8 outputs */
  conv: number[];
  /** milliseconds for the computation, including reading the results back */
  ms: number;
  /** d/dx sum(swish(x)) at GRAD_POINTS (ebmjs's swish: one fused gradient kernel on wasm/webgl) */
  swishGrad: number[];
  /** sgldUpdate(x, g, c) for each of SGLD_CASES, values {@link encode}d */
  sgld: (number | string)[][];
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
  const { h, w, cin, k, cout, stride } = CONV;
  const x0 = new Float32Array(h * w * cin).map((_, i) =>
    convX(Math.floor(i / (w * cin)), Math.floor(i / cin) % w, i % cin),
  );
  const w0 = new Float32Array(k * k * cin * cout).map((_, i) =>
    convW(
      Math.floor(i / (k * cin * cout)),
      Math.floor(i / (cin * cout)) % k,
      Math.floor(i / cout) % cin,
      i % cout,
    ),
  );
  const t0 = performance.now();
  const [stats, grad, conv] = tf.tidy(() => {
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
    const y = tf.fused.conv2d({
      x: tf.tensor4d(x0, [1, h, w, cin]),
      filter: tf.tensor4d(w0, [k, k, cin, cout]),
      bias: tf.tensor1d(Array.from({ length: cout }, (_, o) => (o - 3.5) / 8)),
      strides: stride,
      pad: 'same',
    });
    return [s, g, y];
  });
  const [sv, gv, cv] = await Promise.all([stats.data(), grad.data(), conv.data()]);
  const ms = performance.now() - t0;
  tf.dispose([stats, grad, conv]);
  const swishGrad = tf.tidy(() =>
    Array.from(
      tf
        .grad((x) => tf.sum(swish(x)))(tf.tensor1d(GRAD_POINTS))
        .dataSync(),
    ),
  );
  const sgld = tf.tidy(() => {
    const x = tf.tensor4d(
      SGLD_X.map((v, i) => v + i / 100),
      [1, 3, 5, 1],
    );
    const g = tf.tensor4d(SGLD_G, [1, 3, 5, 1]);
    return SGLD_CASES.map((c) => Array.from(sgldUpdate(x, g, c).dataSync()).map(encode));
  });
  return {
    backend: tf.getBackend(),
    matmul: { sum: sv[0]!, trace: sv[1]!, first: sv[2]!, last: sv[3]! },
    grad: Array.from(gv),
    conv: Array.from(cv),
    ms,
    swishGrad,
    sgld,
  };
}
