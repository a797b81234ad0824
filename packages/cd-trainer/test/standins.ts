// Small stand-ins for the energy-nets / langevin / replay-buffer contracts, written with plain
// tf ops, so the trainer's tests do not depend on how those packages evolve.

import { createRng, Rng, swish } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import type { EnergyFn, EnergyModelLike, SamplerLike } from '../src/types.js';

/** MLP energy [N, d] -> [N] with swish activations; deterministic weights from `seed`. */
export function mlpEnergy(
  dim: number,
  hidden = 32,
  seed = 0,
): EnergyModelLike & { dispose(): void } {
  const rng = createRng(seed);
  const dense = (i: number, o: number) => [
    tf.variable(rng.normal([i, o], 0, Math.sqrt(1 / i))),
    tf.variable(tf.zeros([o])),
  ];
  const [w1, b1] = dense(dim, hidden);
  const [w2, b2] = dense(hidden, hidden);
  const [w3, b3] = dense(hidden, 1);
  const variables = [w1!, b1!, w2!, b2!, w3!, b3!] as tf.Variable[];
  const energy: EnergyFn = (x) =>
    tf.tidy(() => {
      const f = x.reshape([x.shape[0]!, dim]);
      const h1 = swish(tf.add(tf.matMul(f as tf.Tensor2D, w1 as tf.Tensor2D), b1!));
      const h2 = swish(tf.add(tf.matMul(h1 as tf.Tensor2D, w2 as tf.Tensor2D), b2!));
      return tf
        .add(tf.matMul(h2 as tf.Tensor2D, w3 as tf.Tensor2D), b3!)
        .reshape([-1]) as tf.Tensor1D;
    });
  return {
    energy,
    variables,
    inputShape: [dim],
    config: { kind: 'test-mlp', dim, hidden },
    dispose: () => tf.dispose(variables),
  };
}

/** The book's SGLD step: noise, clamp, clipped energy-gradient step, clamp. */
export function sgldFactory(opts: {
  stepSize: number;
  noise: number;
  gradClip: number;
  clamp: [number, number];
}) {
  return (energy: EnergyFn, ctx: { seed: number }): SamplerLike => {
    const rng = createRng(ctx.seed);
    const gradE = tf.grad((x: tf.Tensor) => tf.sum(energy(x)));
    return {
      init: (x0) => ({ x: tf.clone(x0) }),
      step: (s) =>
        tf.tidy((): tf.TensorContainer => {
          let x = tf.clipByValue(tf.add(s.x, rng.normal(s.x.shape, 0, opts.noise)), ...opts.clamp);
          const g = tf.clipByValue(gradE(x), -opts.gradClip, opts.gradClip);
          x = tf.clipByValue(tf.sub(x, tf.mul(opts.stepSize, g)), ...opts.clamp);
          return [{ x }, {}];
        }) as unknown as [{ x: tf.Tensor }, unknown],
    };
  };
}

/** Replay buffer with the contract's behaviour: newest first, capacity, re-init probability. */
export class StandInBuffer {
  private data: Float32Array[] = [];
  private rng: Rng;
  readonly rowSize: number;
  constructor(
    readonly shape: number[],
    readonly capacity = 512,
    readonly reinitProb = 0.05,
    seed = 0,
    readonly range: [number, number] = [-1, 1],
  ) {
    this.rng = createRng(seed);
    this.rowSize = shape.reduce((a, b) => a * b, 1);
  }
  get size() {
    return this.data.length;
  }
  private fresh(): Float32Array {
    const r = new Float32Array(this.rowSize);
    for (let i = 0; i < r.length; i++)
      r[i] = this.range[0] + (this.range[1] - this.range[0]) * this.rng.random();
    return r;
  }
  sample(n: number): tf.Tensor {
    const out = new Float32Array(n * this.rowSize);
    for (let i = 0; i < n; i++) {
      const row =
        this.data.length === 0 || this.rng.random() < this.reinitProb
          ? this.fresh()
          : this.data[this.rng.int(this.data.length)]!;
      out.set(row, i * this.rowSize);
    }
    return tf.tensor(out, [n, ...this.shape]);
  }
  push(x: tf.Tensor): void {
    const a = x.dataSync();
    const n = x.shape[0]!;
    const rows: Float32Array[] = [];
    for (let i = 0; i < n; i++)
      rows.push(Float32Array.from(a.subarray(i * this.rowSize, (i + 1) * this.rowSize)));
    this.data = [...rows, ...this.data].slice(0, this.capacity);
  }
  serialize() {
    const flat = new Float32Array(this.data.length * this.rowSize);
    for (const [i, r] of this.data.entries()) flat.set(r, i * this.rowSize);
    return {
      shape: this.shape,
      capacity: this.capacity,
      reinitProb: this.reinitProb,
      range: this.range,
      rng: this.rng.getState(),
      data: flat,
    };
  }
  static restore(s: ReturnType<StandInBuffer['serialize']>): StandInBuffer {
    const b = new StandInBuffer(s.shape, s.capacity, s.reinitProb, 0, s.range);
    b.rng = Rng.fromState(s.rng);
    const rows = s.data.length / b.rowSize;
    for (let i = 0; i < rows; i++) b.data.push(s.data.slice(i * b.rowSize, (i + 1) * b.rowSize));
    return b;
  }
}

/** Eight Gaussians on a circle of radius `r`, std `std`, seeded. */
export function eightGaussians(n: number, seed: number, r = 0.75, std = 0.06): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(8);
    const a = (2 * Math.PI * k) / 8;
    out[2 * i] = r * Math.cos(a) + std * rng.gaussian();
    out[2 * i + 1] = r * Math.sin(a) + std * rng.gaussian();
  }
  return out;
}
