/**
 * Test helpers: a tensor-leak guard and the gradient checker. Import from
 * `@ebmjs/tensor-backend/testing`.
 *
 * @module testing
 */
import * as tf from '@tensorflow/tfjs';

export { type GradCheckOptions, type GradCheckResult, gradCheck } from './gradcheck.js';

/** Thrown by {@link expectNoLeak} when tensors survive a call that should free them. */
export class TensorLeakError extends Error {
  constructor(
    readonly leaked: number,
    label: string,
  ) {
    super(`${label}: ${leaked} tensor(s) leaked (tf.memory().numTensors grew)`);
    this.name = 'TensorLeakError';
  }
}

/**
 * Runs `fn` `warmup` times (to let caches, variables and optimiser slots appear), then `repeats`
 * more times, and throws if `tf.memory().numTensors` grew over the measured repeats by more than
 * `allowed`. Returns the growth.
 */
export async function expectNoLeak(
  fn: () => unknown,
  options: { warmup?: number; repeats?: number; allowed?: number; label?: string } = {},
): Promise<number> {
  const { warmup = 1, repeats = 3, allowed = 0, label = 'expectNoLeak' } = options;
  for (let i = 0; i < warmup; i++) await fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) await fn();
  const grown = tf.memory().numTensors - before;
  if (grown > allowed) throw new TensorLeakError(grown, label);
  return grown;
}

/** Runs the same test body on each named backend (switching with `tf.setBackend`). */
export async function onBackends(
  names: string[],
  body: (backend: string) => Promise<void> | void,
): Promise<void> {
  const previous = tf.getBackend();
  try {
    for (const name of names) {
      if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
      await body(name);
    }
  } finally {
    if (previous) await tf.setBackend(previous);
  }
}
