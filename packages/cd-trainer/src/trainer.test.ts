import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CorruptDataError,
  DivergenceError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
} from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eightGaussians, mlpEnergy, StandInBuffer, sgldFactory } from '../test/standins.js';
import { snapshotCallback } from './callbacks.js';
import { listCheckpoints, readCheckpoint } from './checkpoint.js';
import { createCDTrainer, restoreWeights, type StepMetrics, stepDecay } from './index.js';
import type { SamplerLike } from './types.js';

const sampler = sgldFactory({ stepSize: 0.05, noise: 0.01, gradClip: 1, clamp: [-1, 1] });

function setup(seed = 1, extra: Partial<Parameters<typeof createCDTrainer>[0]> = {}) {
  const model = mlpEnergy(2, 16, seed);
  const trainer = createCDTrainer({
    model,
    sampler,
    buffer: new StandInBuffer([2], 256, 0.05, seed + 100),
    learningRate: 1e-3,
    steps: 5,
    seed,
    ...extra,
  });
  return { model, trainer };
}

const data = { data: eightGaussians(96, 7), shape: [96, 2] };
let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cd-trainer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('step', () => {
  it('returns finite metrics with loss = cdiv + reg', () => {
    const { model, trainer } = setup();
    const m = trainer.step({ data: data.data.slice(0, 32), shape: [16, 2] });
    for (const k of ['loss', 'reg', 'cdiv', 'real', 'fake', 'gradNorm'] as const) {
      expect(Number.isFinite(m[k])).toBe(true);
    }
    expect(m.loss).toBeCloseTo(m.cdiv + m.reg, 5);
    expect(m.cdiv).toBeCloseTo(m.real - m.fake, 5);
    expect(trainer.stepCount).toBe(1);
    trainer.dispose();
    model.dispose();
  });

  it('applies exactly the gradient of mean(E_real) - mean(E_fake) + alpha mean(E_real² + E_fake²)', () => {
    // A deterministic sampler (identity, 0 steps), no real noise, no clamp, plain SGD: the
    // update must equal -lr * d(loss)/d(theta) computed independently with tf.grads.
    const model = mlpEnergy(2, 8, 4);
    const fixedFake = tf.tensor2d([
      [0.3, -0.2],
      [0.9, 0.1],
      [-0.5, -0.5],
    ]);
    const buffer = { size: 0, sample: () => tf.clone(fixedFake), push: () => {} };
    const identity: SamplerLike = {
      init: (x) => ({ x: tf.clone(x) }),
      step: (s) => [{ x: tf.clone(s.x) }, {}],
    };
    const lr = 0.1;
    const alpha = 0.3;
    const trainer = createCDTrainer({
      model,
      sampler: identity,
      buffer,
      optimizer: tf.train.sgd(lr),
      alpha,
      steps: 0,
      realNoise: 0,
      clamp: null,
      seed: 1,
    });
    const real = tf.tensor2d([
      [0.1, 0.2],
      [-0.7, 0.4],
      [0.5, 0.5],
    ]);
    const expected = tf.tidy(() => {
      const f = () => {
        const er = model.energy(real);
        const ef = model.energy(fixedFake);
        return tf.add(
          tf.sub(tf.mean(er), tf.mean(ef)),
          tf.mul(alpha, tf.mean(tf.add(tf.square(er), tf.square(ef)))),
        ) as tf.Scalar;
      };
      const { grads } = tf.variableGrads(f, model.variables);
      return model.variables.map((v) => tf.sub(v, tf.mul(lr, grads[v.name]!)));
    });
    trainer.step(real);
    model.variables.forEach((v, i) => {
      const diff = tf.max(tf.abs(tf.sub(v, expected[i]!))).dataSync()[0]!;
      expect(diff).toBeLessThan(1e-6);
    });
    tf.dispose([...expected, real, fixedFake]);
    model.dispose();
  });

  it('clips the gradient to gradClipNorm', () => {
    const model = mlpEnergy(2, 8, 5);
    const before = model.variables.map((v) => tf.clone(v));
    const trainer = createCDTrainer({
      model,
      sampler,
      buffer: new StandInBuffer([2]),
      optimizer: tf.train.sgd(1),
      gradClipNorm: 1e-3,
      steps: 2,
      seed: 2,
    });
    const m = trainer.step({ data: data.data.slice(0, 32), shape: [16, 2] });
    expect(m.gradNorm).toBeGreaterThan(1e-3); // so clipping is active
    const moved = tf.tidy(
      () =>
        tf
          .sqrt(tf.addN(model.variables.map((v, i) => tf.sum(tf.square(tf.sub(v, before[i]!))))))
          .dataSync()[0]!,
    );
    // SGD with lr 1 moves the parameters by exactly the clipped gradient norm
    expect(moved).toBeCloseTo(1e-3, 6);
    tf.dispose(before);
    model.dispose();
  });

  it('does not leak tensors over many steps', async () => {
    const { model, trainer } = setup(3);
    const batch = { data: data.data.slice(0, 32), shape: [16, 2] };
    await expectNoLeak(() => trainer.step(batch), { warmup: 2, repeats: 5, label: 'trainer.step' });
    const t = tf.tensor(batch.data, [16, 2]);
    await expectNoLeak(() => trainer.step(t), {
      warmup: 1,
      repeats: 3,
      label: 'trainer.step(tensor)',
    });
    t.dispose();
    trainer.dispose();
    model.dispose();
  });

  it('rejects bad batches with typed errors before any update', () => {
    const { model, trainer } = setup();
    const w0 = Array.from(model.variables[0]!.dataSync());
    expect(() => trainer.step({ data: new Float32Array(6), shape: [2, 3] })).toThrow(ShapeError);
    expect(() => trainer.step({ data: new Float32Array(0), shape: [0, 2] })).toThrow(/empty/);
    expect(() => trainer.step({ data: new Float32Array(5), shape: [2, 2] })).toThrow(ShapeError);
    expect(() => trainer.step({ data: Float32Array.of(0, Number.NaN), shape: [1, 2] })).toThrow(
      NonFiniteError,
    );
    const nanT = tf.tensor2d([[0, Number.NaN]]);
    expect(() => trainer.step(nanT)).toThrow(NonFiniteError);
    nanT.dispose();
    expect(() => trainer.step(42 as never)).toThrow(InvalidArgumentError);
    expect(Array.from(model.variables[0]!.dataSync())).toEqual(w0);
    expect(trainer.stepCount).toBe(0);
    model.dispose();
  });

  it('validates options', () => {
    const model = mlpEnergy(2, 4, 0);
    const buffer = new StandInBuffer([2]);
    expect(() => createCDTrainer({ model, sampler, buffer, alpha: -1 })).toThrow(/options.alpha/);
    expect(() => createCDTrainer({ model, sampler, buffer, steps: 1.5 })).toThrow(/options.steps/);
    expect(() => createCDTrainer({ model, sampler: {} as never, buffer })).toThrow(
      /options.sampler/,
    );
    expect(() => createCDTrainer({ model, sampler, buffer: {} as never })).toThrow(
      /options.buffer/,
    );
    expect(() => createCDTrainer({ model, sampler, buffer, clamp: [1, -1] })).toThrow(
      /options.clamp/,
    );
    expect(() => createCDTrainer({ model, sampler, buffer, gradClipNorm: 0 })).toThrow(
      /gradClipNorm/,
    );
    model.dispose();
  });
});

describe('divergence guard', () => {
  it('throws DivergenceError naming the step and leaves the weights untouched', () => {
    const { model, trainer } = setup(1, { divergenceThreshold: 1e-9 });
    const w0 = model.variables.map((v) => Array.from(v.dataSync()));
    let err: unknown;
    try {
      trainer.step({ data: data.data.slice(0, 32), shape: [16, 2] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as Error).message).toMatch(/at step 1/);
    expect(model.variables.map((v) => Array.from(v.dataSync()))).toEqual(w0);
    expect(trainer.stepCount).toBe(0);
    model.dispose();
  });
});

/** Wraps an energy so that it returns NaN on chosen calls of the loss (not the sampler). */
function poisoned(model: ReturnType<typeof mlpEnergy>, badSteps: Set<number>) {
  let calls = 0;
  return {
    ...model,
    energy: (x: tf.Tensor) => {
      // loss calls see 2n rows (real and fake concatenated); count those only
      if (x.shape[0] === 32) {
        calls++;
        if (badSteps.has(calls)) return tf.mul(model.energy(x), Number.NaN) as tf.Tensor1D;
      }
      return model.energy(x);
    },
  };
}

describe('fit, checkpoints and resume', () => {
  it('fits, records history and calls callbacks in order', async () => {
    const { model, trainer } = setup(2, { lrSchedule: stepDecay(0.5) });
    const events: string[] = [];
    const res = await trainer.fit(data, {
      epochs: 2,
      batchSize: 16,
      validationData: data,
      callbacks: {
        onBatchEnd: ({ epoch, batch }) => void events.push(`b${epoch}.${batch}`),
        onEpochEnd: ({ epoch, record }) => void events.push(`e${epoch}:${record.lr}`),
      },
    });
    expect(res.step).toBe(12);
    expect(res.history).toHaveLength(2);
    expect(res.history[1]!.lr).toBeCloseTo(5e-4, 12);
    expect(events.slice(0, 7)).toEqual([
      'b0.0',
      'b0.1',
      'b0.2',
      'b0.3',
      'b0.4',
      'b0.5',
      'e0:0.001',
    ]);
    expect(events.at(-1)).toBe('e1:0.0005');
    expect(Number.isFinite(res.history[1]!.valCdiv)).toBe(true);
    model.dispose();
  });

  it("keeps a given optimizer's learning rate unless learningRate is set", async () => {
    const model = mlpEnergy(2, 8, 13);
    const mk = (extra: { learningRate?: number }) =>
      createCDTrainer({
        model,
        sampler,
        buffer: new StandInBuffer([2]),
        optimizer: tf.train.sgd(0.05),
        steps: 1,
        seed: 1,
        ...extra,
      });
    expect((await mk({}).fit(data, { epochs: 1, batchSize: 48 })).history[0]!.lr).toBe(0.05);
    expect(
      (await mk({ learningRate: 0.01 }).fit(data, { epochs: 1, batchSize: 48 })).history[0]!.lr,
    ).toBe(0.01);
    model.dispose();
  });

  it('a resumed run repeats the uninterrupted run step for step', async () => {
    const ck = join(dir, 'resume');
    // uninterrupted
    const a = setup(9);
    const full: StepMetrics[] = [];
    await a.trainer.fit(data, {
      epochs: 2,
      batchSize: 16,
      callbacks: { onBatchEnd: ({ metrics }) => void full.push(metrics) },
    });
    a.model.dispose();
    // interrupted after step 4 (mid-epoch), with a checkpoint at step 4
    const b = setup(9);
    const ac = new AbortController();
    const first: StepMetrics[] = [];
    const r1 = await b.trainer.fit(data, {
      epochs: 2,
      batchSize: 16,
      checkpointDir: ck,
      checkpointEvery: 4,
      signal: ac.signal,
      callbacks: {
        onBatchEnd: ({ metrics, step }) => {
          first.push(metrics);
          if (step === 4) ac.abort();
        },
      },
    });
    expect(r1.stopped).toBe(true);
    b.model.dispose();
    // a fresh process-like setup: new model (different initial weights), new buffer, new optimizer
    const c = setup(123);
    const rest: StepMetrics[] = [];
    const r2 = await c.trainer.fit(data, {
      epochs: 2,
      batchSize: 16,
      checkpointDir: ck,
      resume: true,
      callbacks: { onBatchEnd: ({ metrics }) => void rest.push(metrics) },
    });
    expect(first).toEqual(full.slice(0, 4));
    expect(rest).toEqual(full.slice(4)); // bit-identical: same seeds, same backend
    expect(r2.history.map((h) => h.loss)).toEqual(a.trainer.history.map((h) => h.loss));
    c.model.dispose();
  });

  it('a corrupted latest checkpoint is refused with CorruptDataError; the previous one still loads', async () => {
    const ck = join(dir, 'corrupt');
    const { model, trainer } = setup(4);
    await trainer.fit(data, { epochs: 3, batchSize: 32, checkpointDir: ck });
    const all = await listCheckpoints(ck);
    expect(all).toHaveLength(2); // keep = 2: the newest and the previous one
    const latest = all.at(-1)!;
    const bin = await readFile(join(latest, 'tensors.bin'));
    bin[10] = bin[10]! ^ 0xff;
    await writeFile(join(latest, 'tensors.bin'), bin);
    await expect(readCheckpoint(ck)).rejects.toThrow(CorruptDataError);
    await expect(trainer.restore(ck)).rejects.toThrow(/checksum/);
    await writeFile(join(latest, 'tensors.bin'), bin.subarray(0, 20));
    await expect(readCheckpoint(latest)).rejects.toThrow(/truncated/);
    await writeFile(join(latest, 'manifest.json'), '{"format": "ebmjs-cd');
    await expect(readCheckpoint(latest)).rejects.toThrow(/not valid JSON/);
    const m = await trainer.restore(all[0]!);
    expect(m.position.epoch).toBe(2);
    expect(trainer.stepCount).toBe(6);
    // a checkpoint of another model shape is refused before anything changes
    const other = createCDTrainer({
      model: mlpEnergy(2, 8, 0),
      sampler,
      buffer: new StandInBuffer([2]),
    });
    await expect(other.restore(all[0]!)).rejects.toThrow(ShapeError);
    expect(other.stepCount).toBe(0);
    model.dispose();
  });

  it('stops on divergence without overwriting the last good checkpoint', async () => {
    const ck = join(dir, 'diverge');
    const base = mlpEnergy(2, 16, 6);
    const model = poisoned(base, new Set([5]));
    const trainer = createCDTrainer({
      model,
      sampler,
      buffer: new StandInBuffer([2]),
      steps: 3,
      seed: 6,
    });
    await expect(
      trainer.fit(data, { epochs: 2, batchSize: 16, checkpointDir: ck, checkpointEvery: 2 }),
    ).rejects.toThrow(/diverged at step 5/);
    const latest = await readCheckpoint(ck);
    expect(latest.manifest.position.step).toBe(4);
    const w = new Float32Array(latest.blob.buffer.slice(0));
    expect(w.every(Number.isFinite)).toBe(true);
    base.dispose();
  });

  it('rolls back to the last good checkpoint and continues with a smaller learning rate', async () => {
    const ck = join(dir, 'rollback');
    const base = mlpEnergy(2, 16, 7);
    const model = poisoned(base, new Set([5]));
    const trainer = createCDTrainer({
      model,
      sampler,
      buffer: new StandInBuffer([2]),
      steps: 3,
      seed: 7,
    });
    const rollbacks: number[] = [];
    const res = await trainer.fit(data, {
      epochs: 2,
      batchSize: 16,
      checkpointDir: ck,
      checkpointEvery: 2,
      onDivergence: 'rollback',
      callbacks: { onRollback: ({ step, lrScale }) => void rollbacks.push(step, lrScale) },
    });
    expect(rollbacks).toEqual([4, 0.5]);
    expect(res.step).toBe(12);
    expect(res.history.at(-1)!.lr).toBeCloseTo(5e-5, 12);
    base.dispose();
  });

  it('rejects bad fit input: empty data, wrong shape, NaN, resume without a directory', async () => {
    const { model, trainer } = setup();
    await expect(
      trainer.fit({ data: new Float32Array(0), shape: [0, 2] }, { epochs: 1 }),
    ).rejects.toThrow(ShapeError);
    await expect(
      trainer.fit({ data: new Float32Array(9), shape: [3, 3] }, { epochs: 1 }),
    ).rejects.toThrow(ShapeError);
    await expect(
      trainer.fit(
        { data: Float32Array.of(1, Number.POSITIVE_INFINITY), shape: [1, 2] },
        { epochs: 1 },
      ),
    ).rejects.toThrow(NonFiniteError);
    await expect(trainer.fit(data, { epochs: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(trainer.fit(data, { epochs: 1, resume: true })).rejects.toThrow(/checkpointDir/);
    const occupied = join(dir, 'occupied');
    await trainer.save(occupied);
    await expect(trainer.fit(data, { epochs: 1, checkpointDir: occupied })).rejects.toThrow(
      /already holds checkpoints/,
    );
    await expect(
      trainer.fit(data, { epochs: 1, checkpointDir: join(dir, 'nothing'), resume: true }),
    ).rejects.toThrow(/no checkpoint/);
    model.dispose();
  });

  it('fit does not grow tensors epoch over epoch', async () => {
    const { model, trainer } = setup(8);
    let epochs = 1;
    await expectNoLeak(
      async () => {
        await trainer.fit(data, {
          epochs: epochs++,
          batchSize: 48,
          validationData: data,
          callbacks: snapshotCallback({ n: 4, steps: 4, record: 3, onSnapshot: () => {} }),
        });
      },
      { warmup: 1, repeats: 2, label: 'fit' },
    );
    model.dispose();
  });
});

describe('snapshotCallback', () => {
  it('records frames of chains from noise at epoch ends', async () => {
    const { model, trainer } = setup(10);
    const snaps: { epoch: number; steps: number[]; n: number; shape: number[] }[] = [];
    await trainer.fit(data, {
      epochs: 2,
      batchSize: 48,
      callbacks: snapshotCallback({
        n: 3,
        steps: 10,
        record: 4,
        onSnapshot: (s) =>
          void snaps.push({ epoch: s.epoch, steps: s.steps, n: s.frames.length, shape: s.shape }),
      }),
    });
    expect(snaps).toEqual([
      { epoch: 0, steps: [0, 3, 7, 10], n: 4, shape: [3, 2] },
      { epoch: 1, steps: [0, 3, 7, 10], n: 4, shape: [3, 2] },
    ]);
    model.dispose();
  });
});

describe('default sampler (@ebmjs/langevin SGLD, book settings)', () => {
  it('trains with the default sampler and restoreWeights copies only the weights', async () => {
    const model = mlpEnergy(2, 8, 12);
    const trainer = createCDTrainer({ model, buffer: new StandInBuffer([2]), steps: 3, seed: 12 });
    const m = trainer.step({ data: data.data.slice(0, 16), shape: [8, 2] });
    expect(Number.isFinite(m.loss)).toBe(true);
    const snap = await trainer.snapshot();
    const other = mlpEnergy(2, 8, 99);
    await restoreWeights(other, snap);
    other.variables.forEach((v, i) => {
      expect(Array.from(v.dataSync())).toEqual(Array.from(model.variables[i]!.dataSync()));
    });
    await expect(restoreWeights(mlpEnergy(3, 8, 0), snap)).rejects.toThrow(ShapeError);
    model.dispose();
    other.dispose();
  });
});
