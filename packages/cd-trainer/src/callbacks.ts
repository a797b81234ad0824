/**
 * Ready-made training callbacks.
 *
 * @module callbacks
 */

import { assertInteger, InvalidArgumentError } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import type { Callbacks, CDTrainer } from './trainer.js';
import { runChain } from './trainer.js';

/** One recorded set of Langevin chains. */
export interface Snapshot {
  epoch: number;
  /** Global training step when recorded. */
  step: number;
  /** Sampler step numbers of the frames (0 = the initial noise). */
  steps: number[];
  /** One `[n, ...inputShape]` array per recorded step. */
  frames: Float32Array[];
  /** `[n, ...inputShape]`. */
  shape: number[];
}

/** Options of {@link snapshotCallback}. */
export interface SnapshotOptions {
  /** Record every this many epochs (and after the last one). Default 1. */
  every?: number;
  /** Number of chains. Default 8. */
  n?: number;
  /** Langevin steps from noise. Default 256 (the book's callback). */
  steps?: number;
  /** Number of frames, evenly spaced in [0, steps] (default 8), or explicit step numbers. */
  record?: number | number[];
  /** Seed of the starting noise and of the sampler (fixed, so snapshots are comparable). */
  seed?: number;
  /** Receives each snapshot (may be async, e.g. to write a PNG). */
  onSnapshot: (snapshot: Snapshot) => unknown;
}

/** Evenly spaced recording steps `0 .. steps` (`count` of them, at least 2). */
export function recordSteps(steps: number, count: number): number[] {
  assertInteger('steps', steps, 1);
  assertInteger('record', count, 2);
  const out = new Set<number>();
  for (let i = 0; i < count; i++) out.add(Math.round((i * steps) / (count - 1)));
  return [...out].sort((a, b) => a - b);
}

/**
 * Runs Langevin chains from uniform noise and returns copies of the states at the given steps.
 * Used by {@link snapshotCallback}; handy on its own to sample from a trained model.
 */
export function langevinSnapshot(
  trainer: CDTrainer,
  options: { n: number; steps: number; record: number[]; seed: number },
): { steps: number[]; frames: Float32Array[]; shape: number[] } {
  const shape = [options.n, ...trainer.model.inputShape];
  const [lo, hi] = trainer.config.clamp ?? [-1, 1];
  const x0 = tf.randomUniform(shape, lo, hi, 'float32', options.seed >>> 0);
  const sampler = trainer.makeSampler((options.seed + 1) >>> 0);
  const { samples, frames } = runChain(sampler, x0, options.steps, options.record);
  x0.dispose();
  samples.dispose();
  const arrays = frames.map((f) => {
    const a = f.dataSync() as Float32Array;
    f.dispose();
    return Float32Array.from(a);
  });
  return { steps: options.record.filter((s) => s <= options.steps), frames: arrays, shape };
}

/**
 * A callback that records Langevin chains from noise at epoch ends (the book's
 * `GenerateCallback`): `n` chains, `steps` steps, `record` frames each.
 */
export function snapshotCallback(options: SnapshotOptions): Callbacks {
  if (!options || typeof options.onSnapshot !== 'function') {
    throw new InvalidArgumentError(
      'options.onSnapshot',
      'expected a function receiving each snapshot',
    );
  }
  const every = options.every ?? 1;
  assertInteger('options.every', every, 1);
  const n = options.n ?? 8;
  assertInteger('options.n', n, 1);
  const steps = options.steps ?? 256;
  assertInteger('options.steps', steps, 1);
  const record = Array.isArray(options.record)
    ? [...options.record].sort((a, b) => a - b)
    : recordSteps(steps, options.record ?? 8);
  for (const [i, s] of record.entries()) assertInteger(`options.record[${i}]`, s, 0, steps);
  const seed = options.seed ?? 1234;
  return {
    async onEpochEnd({ epoch, step, trainer }) {
      if ((epoch + 1) % every !== 0) return;
      const snap = langevinSnapshot(trainer, { n, steps, record, seed });
      await options.onSnapshot({ epoch, step, ...snap });
    },
  };
}
