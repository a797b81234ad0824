/**
 * Input handling shared by training and evaluation: data arrive as a `tf.Tensor2D` or as the
 * plain `{ data, shape }` arrays that `@ebmjs/datasets` produces, and are checked (width,
 * finiteness, value range) before any work starts.
 *
 * @module data
 */

import { InvalidArgumentError, NonFiniteError, ShapeError } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

/** A data set of `n` rows of `visible` values, as a typed array with its shape. */
export interface ArrayData {
  /** Row-major values, `n * visible` of them. */
  data: Float32Array | Float64Array | Uint8Array | number[];
  /** `[n, visible]`. */
  shape: readonly number[];
}

/** Data accepted by training and evaluation: a rank-2 tensor `[n, visible]` or an {@link ArrayData}. */
export type RBMData = tf.Tensor2D | tf.Tensor | ArrayData;

/** What the values of a data set must be. */
export type ValueDomain = 'binary' | 'unit' | 'real';

/**
 * Checks `x` and returns it as a `[n, visible]` float32 tensor. When `x` already is a tensor it is
 * returned as is (`owned: false`); otherwise the caller owns (and disposes) the new tensor.
 *
 * `domain`: `'binary'` requires every value in {0, 1}; `'unit'` requires values in [0, 1]
 * (probabilities, as scikit-learn accepts for training); `'real'` only finiteness.
 */
export function toMatrix(
  name: string,
  x: unknown,
  visible: number,
  domain: ValueDomain,
): { tensor: tf.Tensor2D; owned: boolean } {
  if (x instanceof tf.Tensor) {
    if (x.isDisposed) throw new InvalidArgumentError(name, 'the tensor has been disposed');
    if (x.rank !== 2 || x.shape[1] !== visible) {
      throw new ShapeError(name, `expected shape [N, ${visible}], got [${x.shape.join(', ')}]`);
    }
    if (x.shape[0] === 0) throw new ShapeError(name, 'expected at least one row, got 0');
    checkTensorValues(name, x as tf.Tensor2D, domain);
    return { tensor: x as tf.Tensor2D, owned: false };
  }
  if (typeof x !== 'object' || x === null || !('data' in x) || !('shape' in x)) {
    throw new InvalidArgumentError(
      name,
      'expected a tf.Tensor2D or { data: Float32Array, shape: [n, visible] }',
    );
  }
  const { data, shape } = x as ArrayData;
  if (!Array.isArray(shape) || shape.length !== 2 || shape[1] !== visible) {
    const got = Array.isArray(shape) ? `[${shape.join(', ')}]` : typeof shape;
    throw new ShapeError(name, `expected shape [N, ${visible}], got ${got}`);
  }
  const n = shape[0]!;
  if (!Number.isInteger(n) || n < 1) {
    throw new ShapeError(name, `expected at least one row, got shape [${shape.join(', ')}]`);
  }
  if (
    data === null ||
    typeof data !== 'object' ||
    typeof (data as ArrayLike<number>).length !== 'number'
  ) {
    throw new InvalidArgumentError(`${name}.data`, 'expected a typed array or number[]');
  }
  if (data.length !== n * visible) {
    throw new ShapeError(
      `${name}.data`,
      `expected ${n} x ${visible} = ${n * visible} values for shape [${n}, ${visible}], got ${data.length}`,
    );
  }
  checkArrayValues(name, data, domain);
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  return { tensor: tf.tensor2d(f32, [n, visible]), owned: true };
}

function checkArrayValues(name: string, data: ArrayLike<number>, domain: ValueDomain): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      throw new NonFiniteError(name, `contains NaN or infinite values (index ${i})`);
    }
    if (domain === 'binary' && v !== 0 && v !== 1) {
      throw new InvalidArgumentError(
        name,
        `expected binary data (every value 0 or 1), got ${v} at index ${i}`,
      );
    }
    if (domain === 'unit' && (v < 0 || v > 1)) {
      throw new InvalidArgumentError(
        name,
        `expected values in [0, 1] (binary data or probabilities), got ${v} at index ${i}`,
      );
    }
  }
}

function checkTensorValues(name: string, x: tf.Tensor2D, domain: ValueDomain): void {
  const flags = tf.tidy(() => {
    const finite = tf.all(tf.isFinite(x));
    const binary = tf.all(tf.logicalOr(tf.equal(x, 0), tf.equal(x, 1)));
    const unit = tf.all(tf.logicalAnd(tf.greaterEqual(x, 0), tf.lessEqual(x, 1)));
    return tf.stack([finite, binary, unit].map((t) => tf.cast(t, 'int32')));
  });
  const [finite, binary, unit] = flags.dataSync();
  flags.dispose();
  if (!finite) throw new NonFiniteError(name, 'contains NaN or infinite values');
  if (domain === 'binary' && !binary) {
    throw new InvalidArgumentError(name, 'expected binary data (every value 0 or 1)');
  }
  if (domain === 'unit' && !unit) {
    throw new InvalidArgumentError(
      name,
      'expected values in [0, 1] (binary data or probabilities)',
    );
  }
}

/** Applies `fn` to row chunks of `x` (each at most `chunk` rows) and concatenates the results. */
export function mapRows(
  x: tf.Tensor2D,
  chunk: number,
  fn: (rows: tf.Tensor2D) => tf.Tensor1D,
): Float32Array {
  const n = x.shape[0];
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const part = tf.tidy(() => fn(tf.slice(x, [start, 0], [size, -1]) as tf.Tensor2D));
    out.set(part.dataSync() as Float32Array, start);
    part.dispose();
  }
  return out;
}
