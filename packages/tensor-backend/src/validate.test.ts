import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { EbmError, InvalidArgumentError, NonFiniteError, ShapeError } from './errors.js';
import { gradCheck } from './gradcheck.js';
import { expectNoLeak, TensorLeakError } from './testing.js';
import {
  assertFinite,
  assertInRange,
  assertInteger,
  assertOneOf,
  assertPositive,
  assertShape,
  assertTensor,
} from './validate.js';

describe('argument checks', () => {
  it('throw typed errors that name the argument', () => {
    const e = (() => {
      try {
        assertPositive('options.stepSize', -1);
      } catch (err) {
        return err as InvalidArgumentError;
      }
    })();
    expect(e).toBeInstanceOf(EbmError);
    expect(e?.code).toBe('E_INVALID_ARGUMENT');
    expect(e?.argument).toBe('options.stepSize');
    expect(e?.message).toBe('options.stepSize: expected a number > 0, got -1');
    expect(() => assertPositive('a', 0, { allowZero: true })).not.toThrow();
    expect(() => assertPositive('a', Number.NaN)).toThrow(/finite number/);
    expect(() => assertInteger('k', 2.5, 1)).toThrow(InvalidArgumentError);
    expect(() => assertInteger('k', 0, 1)).toThrow(/>= 1/);
    expect(() => assertInRange('p', 1.5, 0, 1)).toThrow(/\[0, 1\]/);
    expect(() => assertOneOf('d', 'x', ['a', 'b'])).toThrow(/"a", "b"/);
    expect(() => assertTensor('x', [1, 2])).toThrow(/tf.Tensor/);
  });

  it('assertShape accepts wildcards and reports the mismatch', () => {
    const x = tf.zeros([4, 32, 32, 1]);
    expect(() => assertShape('x', x, [null, 32, 32, 1])).not.toThrow();
    expect(() => assertShape('x', x, [null, 28, 28, 1])).toThrow(ShapeError);
    expect(() => assertShape('x', x, [null, 28, 28, 1])).toThrow(
      'x: expected shape [N, 28, 28, 1], got [4, 32, 32, 1]',
    );
    x.dispose();
  });

  it('assertFinite finds NaN and Infinity in tensors and arrays', () => {
    const bad = tf.tensor1d([1, Number.NaN]);
    expect(() => assertFinite('data', bad)).toThrow(NonFiniteError);
    expect(() => assertFinite('data', [1, Number.POSITIVE_INFINITY])).toThrow(/NaN or infinite/);
    expect(() => assertFinite('data', new Float32Array([1, 2]))).not.toThrow();
    bad.dispose();
  });
});

describe('gradCheck', () => {
  it('passes a correct gradient and fails a wrong one', () => {
    const x = tf.tensor1d([0.5, -1, 2]);
    const good = gradCheck((v) => tf.sum(tf.mul(tf.square(v), v)), x);
    expect(good.ok).toBe(true);
    expect(good.maxAbsError).toBeLessThan(1e-2);
    // A function whose registered gradient is deliberately wrong (2x instead of 1x).
    const wrong = tf.customGrad(((v: tf.Tensor) => ({
      value: tf.sum(v),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.fill(v.shape, 2)),
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    const bad = gradCheck((v) => wrong(v) as tf.Scalar, x);
    expect(bad.ok).toBe(false);
    expect(bad.maxAbsError).toBeCloseTo(1, 2);
    x.dispose();
  });
});

describe('expectNoLeak', () => {
  it('passes a clean function and catches a leaking one', async () => {
    await expect(expectNoLeak(() => tf.tidy(() => tf.ones([3]).add(1)).dispose())).resolves.toBe(0);
    const kept: tf.Tensor[] = [];
    await expect(expectNoLeak(() => kept.push(tf.ones([2])))).rejects.toThrow(TensorLeakError);
    tf.dispose(kept);
  });
});
