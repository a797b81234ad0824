import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { conv2dBias } from './conv.js';
import { ShapeError } from './errors.js';
import { swish } from './ops.js';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** A two-layer conv energy with either the fused op or conv2d + add. */
function energy(
  fused: boolean,
  w1: tf.Tensor4D,
  b1: tf.Tensor1D,
  w2: tf.Tensor4D,
  b2: tf.Tensor1D,
) {
  const layer = (h: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, s: number, p: 'same' | 'valid') =>
    fused ? conv2dBias(h, w, b, s, p) : tf.add<tf.Tensor4D>(tf.conv2d(h, w, s, p), b);
  return (x: tf.Tensor) =>
    tf.sum(
      swish(layer(swish(layer(x as tf.Tensor4D, w1, b1, 2, 'same')), w2, b2, 2, 'valid')),
      [1, 2, 3],
    );
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`conv2dBias on ${backend}`, () => {
    let x: tf.Tensor4D;
    let w1: tf.Tensor4D;
    let b1: tf.Tensor1D;
    let w2: tf.Tensor4D;
    let b2: tf.Tensor1D;
    beforeAll(async () => {
      await initBackend({ backend, ...(backend === 'wasm' ? { threads: 1 } : {}) });
      x = tf.randomUniform([3, 9, 9, 2], -1, 1, 'float32', 1);
      w1 = tf.randomNormal([3, 3, 2, 4], 0, 0.5, 'float32', 2);
      b1 = tf.randomNormal([4], 0, 0.5, 'float32', 3);
      w2 = tf.randomNormal([2, 2, 4, 3], 0, 0.5, 'float32', 4);
      b2 = tf.randomNormal([3], 0, 0.5, 'float32', 5);
    });
    afterAll(() => tf.dispose([x, w1, b1, w2, b2]));

    it('equals conv2d + add, forward and first gradients for x, filter and bias', () => {
      const fused = energy(true, w1, b1, w2, b2);
      const plain = energy(false, w1, b1, w2, b2);
      expect(maxAbsDiff(fused(x), plain(x))).toBeLessThan(1e-5);
      const gf = tf.grads((xx, a, b, c, d) =>
        tf.sum(
          energy(true, a as tf.Tensor4D, b as tf.Tensor1D, c as tf.Tensor4D, d as tf.Tensor1D)(xx),
        ),
      );
      const gp = tf.grads((xx, a, b, c, d) =>
        tf.sum(
          energy(false, a as tf.Tensor4D, b as tf.Tensor1D, c as tf.Tensor4D, d as tf.Tensor1D)(xx),
        ),
      );
      const f = gf([x, w1, b1, w2, b2]);
      const p = gp([x, w1, b1, w2, b2]);
      for (let i = 0; i < f.length; i++) {
        expect(maxAbsDiff(f[i]!, p[i]!), `input ${i}`).toBeLessThan(2e-5);
        expect(tf.max(tf.abs(p[i]!)).dataSync()[0]).toBeGreaterThan(1e-3);
      }
      tf.dispose([...f, ...p]);
    });

    it('second derivatives: the score-matching shape, d/dw of |dE/dx|^2, equals the unfused one', () => {
      const loss = (fused: boolean) => (a: tf.Tensor, b: tf.Tensor) =>
        tf.tidy(() => {
          const gx = tf.grad(energy(fused, a as tf.Tensor4D, b as tf.Tensor1D, w2, b2))(x);
          return tf.sum(tf.square(gx));
        });
      const f = tf.grads(loss(true))([w1, b1]);
      const p = tf.grads(loss(false))([w1, b1]);
      for (let i = 0; i < 2; i++) {
        expect(maxAbsDiff(f[i]!, p[i]!), `input ${i}`).toBeLessThan(1e-4);
        expect(tf.max(tf.abs(p[i]!)).dataSync()[0]).toBeGreaterThan(1e-3);
      }
      tf.dispose([...f, ...p]);
    });

    it('computes only the gradients asked for: no filter gradient for an input gradient', async () => {
      const e = energy(true, w1, b1, w2, b2);
      const info = await tf.profile(() => tf.grad((xx) => tf.sum(e(xx)))(x));
      const names = info.kernels.map((k) => k.name);
      expect(names).toContain('FusedConv2D');
      expect(names).toContain('Conv2DBackpropInput');
      expect(names).not.toContain('Conv2DBackpropFilter');
      expect(info.newTensors).toBe(1);
      tf.dispose(info.result as tf.Tensor);
    });

    it('rejects shapes that do not fit, naming the argument', () => {
      expect(() => conv2dBias(x, tf.zeros([3, 3, 5, 4]) as tf.Tensor4D, b1, 1, 'same')).toThrow(
        ShapeError,
      );
      expect(() => conv2dBias(x, w1, tf.zeros([5]) as tf.Tensor1D, 1, 'same')).toThrow(
        /bias.*\[4\]/,
      );
      expect(() =>
        conv2dBias(tf.zeros([9, 9, 2]) as unknown as tf.Tensor4D, w1, b1, 1, 'same'),
      ).toThrow(/rank 4/);
    });
  });
}

describe('the FusedConv2D gradient', () => {
  it('refuses activations it does not cover instead of returning a wrong gradient', async () => {
    await initBackend({ backend: 'cpu' });
    conv2dBias(tf.zeros([1, 3, 3, 1]), tf.zeros([1, 1, 1, 1]), tf.zeros([1]), 1, 'same').dispose();
    const f = (x: tf.Tensor) =>
      tf
        .engine()
        .runKernel('FusedConv2D', { x, filter: tf.ones([1, 1, 1, 1]), bias: tf.zeros([1]) }, {
          strides: 1,
          pad: 'same',
          dataFormat: 'NHWC',
          dilations: 1,
          activation: 'relu',
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
    // By message and code: the gradient is registered once per process, possibly by another test
    // file's copy of this module (vitest isolates modules, not tfjs's registry), whose error
    // class is not this file's InvalidArgumentError.
    let caught: unknown;
    try {
      tf.grad((x) => tf.sum(f(x)))(tf.ones([1, 3, 3, 1]));
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({
      name: 'InvalidArgumentError',
      code: 'E_INVALID_ARGUMENT',
      message: expect.stringMatching(/covers activation 'linear' only, got 'relu'/),
    });
  });
});
