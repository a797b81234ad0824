/**
 * Seeded random streams. A stream is a seed plus a counter: every draw derives a fresh 32-bit
 * seed from both (SplitMix32), so a whole pipeline is reproducible on one backend, a stream can be
 * forked for sub-components, and its state is two integers that checkpoints store and restore.
 *
 * @module rng
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from './errors.js';
import { activeBackendHas } from './kernels/shared.js';
import { RANDOM_NORMAL_KERNEL } from './kernels/wasm-random.js';
import { normalArray } from './random-arrays.js';
import { assertInteger, assertNumber } from './validate.js';

/** Serialisable state of an {@link Rng}. */
export interface RngState {
  seed: number;
  counter: number;
}

/** SplitMix32 finaliser: a well-mixed 32-bit hash of (seed, counter). */
function mix(seed: number, counter: number): number {
  let z = (seed + Math.imul(counter + 1, 0x9e3779b9)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seeded random stream handing out seeds, JS numbers and tensors. */
export class Rng {
  private readonly seed: number;
  private counter: number;

  constructor(seed: number, counter = 0) {
    assertInteger('seed', seed, 0, 0xffffffff);
    assertInteger('counter', counter, 0);
    this.seed = seed >>> 0;
    this.counter = counter;
  }

  /** A fresh 32-bit seed; advances the stream. */
  nextSeed(): number {
    return mix(this.seed, this.counter++);
  }

  /** A uniform float in [0, 1). */
  random(): number {
    return this.nextSeed() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    assertInteger('n', n, 1);
    return Math.floor(this.random() * n);
  }

  /** A standard normal JS number (Box-Muller). */
  gaussian(): number {
    const u = 1 - this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * A tensor of N(mean, std^2) draws, generated in JS ({@link normalArray}: a ziggurat on a
   * xoshiro128** stream seeded by one {@link Rng.nextSeed}) and uploaded: the same numbers on every
   * backend, and several times cheaper than seeded `tf.randomNormal`. Where the active backend has
   * the `EbmRandomNormal` kernel (wasm, after `initBackend`), the same draws are made in wasm,
   * in place.
   */
  normal(shape: number[], mean = 0, std = 1): tf.Tensor {
    assertNumber('mean', mean);
    assertNumber('std', std);
    shape.forEach((d, i) => {
      assertInteger(`shape[${i}]`, d, 0);
    });
    const seed = this.nextSeed();
    if (activeBackendHas(RANDOM_NORMAL_KERNEL)) {
      return tf.engine().runKernel(RANDOM_NORMAL_KERNEL, {}, {
        shape,
        seed,
        mean,
        std,
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    }
    return tf.tensor(normalArray(tf.util.sizeFromShape(shape), seed, mean, std), shape, 'float32');
  }

  /** A tensor of U[min, max) draws. */
  uniform(shape: number[], min = 0, max = 1): tf.Tensor {
    assertNumber('min', min);
    assertNumber('max', max);
    if (!(max > min)) throw new InvalidArgumentError('max', `must exceed min (${min}), got ${max}`);
    return tf.randomUniform(shape, min, max, 'float32', this.nextSeed());
  }

  /** Bernoulli(p) draws as a float tensor of 0s and 1s, elementwise for a tensor `p`. */
  bernoulli(p: tf.Tensor | number, shape?: number[]): tf.Tensor {
    return tf.tidy(() => {
      const probs = typeof p === 'number' ? tf.fill(shape ?? [], p) : p;
      return tf.cast(tf.less(this.uniform(probs.shape, 0, 1), probs), 'float32');
    });
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    assertInteger('n', n, 0);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  /** An independent child stream (for a sub-component that should not shift this one's draws). */
  fork(): Rng {
    return new Rng(this.nextSeed());
  }

  /** The state to store in a checkpoint. */
  getState(): RngState {
    return { seed: this.seed, counter: this.counter };
  }

  /** A stream continuing exactly from a stored state. */
  static fromState(state: RngState): Rng {
    if (typeof state !== 'object' || state === null) {
      throw new InvalidArgumentError('state', 'expected { seed, counter }');
    }
    return new Rng(state.seed, state.counter);
  }
}

/**
 * A seeded random stream. Without a seed, one is drawn from `Math.random` (not reproducible;
 * the chosen seed is readable from `getState()`).
 */
export function createRng(seed?: number): Rng {
  return new Rng(seed ?? Math.floor(Math.random() * 0xffffffff));
}

/** Accepts a seed or a stream, as every stochastic option in ebmjs does. */
export type SeedOrRng = number | Rng;

/** Turns a `seed` option (number, stream or undefined) into a stream. */
export function toRng(seed: SeedOrRng | undefined): Rng {
  return seed instanceof Rng ? seed : createRng(seed);
}
