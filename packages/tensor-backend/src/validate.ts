/**
 * Argument checks that throw the typed errors of `errors.ts` before any work starts.
 * Every package validates its options with these so that messages read the same everywhere.
 *
 * @module validate
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, NonFiniteError, ShapeError } from './errors.js';

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of length ${value.length}`;
  return typeof value;
}

/** A finite number. */
export function assertNumber(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(name, `expected a finite number, got ${describe(value)}`);
  }
}

/** A finite number > 0 (or >= 0 with `allowZero`). */
export function assertPositive(
  name: string,
  value: unknown,
  options: { allowZero?: boolean } = {},
): asserts value is number {
  assertNumber(name, value);
  if (options.allowZero ? value < 0 : value <= 0) {
    const bound = options.allowZero ? '>= 0' : '> 0';
    throw new InvalidArgumentError(name, `expected a number ${bound}, got ${value}`);
  }
}

/** An integer in [min, max]. */
export function assertInteger(
  name: string,
  value: unknown,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new InvalidArgumentError(name, `expected an integer ${range}, got ${describe(value)}`);
  }
}

/** A finite number in [min, max]. */
export function assertInRange(
  name: string,
  value: unknown,
  min: number,
  max: number,
): asserts value is number {
  assertNumber(name, value);
  if (value < min || value > max) {
    throw new InvalidArgumentError(name, `expected a number in [${min}, ${max}], got ${value}`);
  }
}

/** One of a fixed set of values. */
export function assertOneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      name,
      `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(value)}`,
    );
  }
}

/** A tf.Tensor (not disposed). */
export function assertTensor(name: string, value: unknown): asserts value is tf.Tensor {
  if (!(value instanceof tf.Tensor)) {
    throw new InvalidArgumentError(name, `expected a tf.Tensor, got ${describe(value)}`);
  }
  if (value.isDisposed) throw new InvalidArgumentError(name, 'the tensor has been disposed');
}

/**
 * Checks a shape against an expected pattern; `null` entries match any size.
 * E.g. `assertShape('x', x, [null, 32, 32, 1])`.
 */
export function assertShape(
  name: string,
  tensorOrShape: tf.Tensor | readonly number[],
  expected: readonly (number | null)[],
): void {
  const shape = tensorOrShape instanceof tf.Tensor ? tensorOrShape.shape : tensorOrShape;
  const ok =
    shape.length === expected.length && expected.every((e, i) => e === null || e === shape[i]);
  if (!ok) {
    const pattern = `[${expected.map((e) => (e === null ? 'N' : e)).join(', ')}]`;
    throw new ShapeError(name, `expected shape ${pattern}, got [${shape.join(', ')}]`);
  }
}

/** A tensor of the given rank. */
export function assertRank(name: string, t: tf.Tensor, rank: number): void {
  if (t.rank !== rank) {
    throw new ShapeError(name, `expected a rank-${rank} tensor, got shape [${t.shape.join(', ')}]`);
  }
}

/**
 * Throws if a tensor (or array) holds NaN or +-Infinity. Reads the data back, so use it on inputs,
 * not inside hot loops.
 */
export function assertFinite(name: string, value: tf.Tensor | ArrayLike<number>): void {
  let bad: boolean;
  if (value instanceof tf.Tensor) {
    const flag = tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(value))));
    bad = flag.dataSync()[0] === 1;
    flag.dispose();
  } else {
    bad = false;
    for (let i = 0; i < value.length; i++) {
      if (!Number.isFinite(value[i] as number)) {
        bad = true;
        break;
      }
    }
  }
  if (bad) throw new NonFiniteError(name, 'contains NaN or infinite values');
}
