import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { elu, exp, logSigmoid, sigmoid, softplus, swish, tanh } from './ops.js';
import { expectNoLeak } from './testing.js';

type F = (x: tf.Tensor) => tf.Tensor;
const d =
  (f: F): F =>
  (x) =>
    tf.grad(f)(x);
const at = (f: F, v: number) => tf.tidy(() => f(tf.scalar(v)).dataSync()[0]!);

// Analytic derivatives (orders 0..3) written from the closed forms.
const sg = (x: number) => 1 / (1 + Math.exp(-x));
const analytic: Record<string, (x: number) => number[]> = {
  sigmoid: (x) => {
    const s = sg(x);
    const s1 = s * (1 - s);
    return [s, s1, s1 * (1 - 2 * s), s1 * (1 - 6 * s + 6 * s * s)];
  },
  swish: (x) => {
    const s = sg(x);
    const s1 = s * (1 - s);
    const s2 = s1 * (1 - 2 * s);
    const s3 = s1 * (1 - 6 * s + 6 * s * s);
    // (x s)' = s + x s'; (x s)'' = 2 s' + x s''; (x s)''' = 3 s'' + x s'''
    return [x * s, s + x * s1, 2 * s1 + x * s2, 3 * s2 + x * s3];
  },
  softplus: (x) => {
    const s = sg(x);
    const s1 = s * (1 - s);
    return [Math.log1p(Math.exp(x)), s, s1, s1 * (1 - 2 * s)];
  },
  logSigmoid: (x) => {
    const s = sg(x);
    const s1 = s * (1 - s);
    // d/dx log s = 1 - s
    return [Math.log(s), 1 - s, -s1, -s1 * (1 - 2 * s)];
  },
  tanh: (x) => {
    const t = Math.tanh(x);
    const t1 = 1 - t * t;
    return [t, t1, -2 * t * t1, -2 * t1 * t1 + 4 * t * t * t1];
  },
  exp: (x) => [Math.exp(x), Math.exp(x), Math.exp(x), Math.exp(x)],
  elu: (x) => (x > 0 ? [x, 1, 0, 0] : [Math.exp(x) - 1, Math.exp(x), Math.exp(x), Math.exp(x)]),
};
const ops: Record<string, F> = { sigmoid, swish, softplus, logSigmoid, tanh, exp, elu };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('higher-order-correct activations', () => {
  for (const name of Object.keys(ops)) {
    for (const x of [-2.5, -0.7, 0.3, 1.9]) {
      it(`${name}: value and derivatives 1-3 at ${x} match the closed form`, () => {
        const f = ops[name]!;
        const got = [at(f, x), at(d(f), x), at(d(d(f)), x), at(d(d(d(f))), x)];
        const want = analytic[name]!(x);
        for (let k = 0; k < 4; k++) {
          // float32 arithmetic over a handful of ops: 1e-5 relative plus 2e-6 absolute.
          expect(Math.abs(got[k]! - want[k]!)).toBeLessThan(2e-6 + 1e-5 * Math.abs(want[k]!));
        }
      });
    }
  }

  it('reproduces the tfjs bug it fixes: tf.sigmoid-based swish has the wrong 2nd derivative', () => {
    const naive: F = (x) => tf.mul(x, tf.sigmoid(x));
    expect(at(d(d(naive)), 0.3)).toBeCloseTo(0.4889, 3);
    expect(at(d(d(swish)), 0.3)).toBeCloseTo(0.478, 3);
  });

  it('first derivatives from the saved output (plain gradients) match the recorded path', () => {
    // A plain tf.grad runs the backward pass with nothing recording, so sigmoid, swish, tanh, exp
    // and softplus use their output-based derivative; inside an outer gradient the same
    // derivative is built from x. Both must agree with each other and with the closed form.
    const n = 1001;
    const xs = Array.from({ length: n }, (_, i) => -8 + (16 * i) / (n - 1));
    const x = tf.tensor1d(xs);
    for (const name of ['sigmoid', 'swish', 'tanh', 'exp', 'softplus']) {
      const f = ops[name]!;
      const g = (t: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.sum(f(u)))(t);
      const fast = tf.tidy(() => g(x).dataSync().slice());
      let traced: Float32Array = new Float32Array(0);
      tf.tidy(() =>
        tf.grad((t: tf.Tensor) => {
          const gt = g(t);
          traced = gt.dataSync().slice() as Float32Array;
          return tf.sum(gt);
        })(x),
      );
      for (let i = 0; i < n; i++) {
        const want = analytic[name]!(xs[i]!)[1]!;
        const tol = 2e-6 + 2e-6 * Math.abs(want);
        expect(Math.abs(fast[i]! - want), `${name} fast at ${xs[i]}`).toBeLessThan(tol);
        expect(Math.abs(traced[i]! - want), `${name} traced at ${xs[i]}`).toBeLessThan(tol);
      }
    }
    x.dispose();
  });

  it('softplus and logSigmoid are stable for large |x|', () => {
    expect(at(softplus, 100)).toBeCloseTo(100, 3);
    expect(at(softplus, -100)).toBeGreaterThanOrEqual(0);
    expect(at(logSigmoid, -100)).toBeCloseTo(-100, 3);
    expect(Number.isFinite(at(d(softplus), 200))).toBe(true);
  });

  it('mixed second derivative through a tiny net matches finite differences of the gradient', () => {
    // d/dw of ||d/dx E||^2, the pattern of score matching, by two routes.
    const x = tf.tensor1d([0.3, -0.8, 1.1]);
    const inner = (w: tf.Tensor) =>
      tf.tidy(() => {
        const gx = tf.grad((xx: tf.Tensor) => tf.sum(swish(tf.mul(xx, w))))(x);
        return tf.sum(tf.square(gx));
      });
    const w0 = [0.5, -1.2, 0.9];
    const g = tf.tidy(() => tf.grad(inner)(tf.tensor1d(w0)).arraySync() as number[]);
    const eps = 1e-2;
    for (let i = 0; i < 3; i++) {
      const up = [...w0];
      const dn = [...w0];
      up[i]! += eps;
      dn[i]! -= eps;
      const num =
        (tf.tidy(() => inner(tf.tensor1d(up)).dataSync()[0]!) -
          tf.tidy(() => inner(tf.tensor1d(dn)).dataSync()[0]!)) /
        (2 * eps);
      expect(Math.abs(g[i]! - num)).toBeLessThan(2e-3 + 2e-2 * Math.abs(num));
    }
    x.dispose();
  });

  it('does not leak tensors through nested gradients', async () => {
    const x = tf.tensor1d([0.1, 0.2, -0.5]);
    await expectNoLeak(() => {
      tf.tidy(() => d(d(d((t) => tf.sum(swish(t)))))(x)).dispose();
      tf.tidy(() => d(d((t) => tf.sum(softplus(t))))(x)).dispose();
    });
    x.dispose();
  });
});
