// The trainer with the real packages it is built for: a conv energy net from
// @ebmjs/energy-nets on small images, @ebmjs/replay-buffer and @ebmjs/langevin's SGLD.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convEnergyNet } from '@ebmjs/energy-nets';
import { ReplayBuffer } from '@ebmjs/replay-buffer';
import { createRng } from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from './checkpoint.js';
import { createCDTrainer, type StepMetrics } from './index.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cd-trainer-int-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** 48 tiny 8x8 "images": a bright square at a random place on a dark background. */
function squares(n: number, seed: number) {
  const rng = createRng(seed);
  const data = new Float32Array(n * 64).fill(-1);
  for (let i = 0; i < n; i++) {
    const r = rng.int(5);
    const c = rng.int(5);
    for (let y = r; y < r + 3; y++) for (let x = c; x < c + 3; x++) data[i * 64 + y * 8 + x] = 1;
  }
  return { data, shape: [n, 8, 8, 1] };
}

function setup(seed: number) {
  const model = convEnergyNet({
    inputShape: [8, 8, 1],
    filters: [4, 8],
    kernelSizes: 3,
    denseUnits: [8],
    seed,
  });
  const trainer = createCDTrainer({
    model,
    buffer: new ReplayBuffer({ shape: [8, 8, 1], capacity: 64, seed: seed + 1 }),
    steps: 3, // default sampler: @ebmjs/langevin SGLD with the book's settings
    learningRate: 1e-3,
    seed,
  });
  return { model, trainer };
}

describe('with @ebmjs/energy-nets, @ebmjs/replay-buffer and @ebmjs/langevin', () => {
  const data = squares(48, 3);

  it('trains a conv energy net on images without leaking tensors', async () => {
    const { model, trainer } = setup(1);
    const batch = { data: data.data.subarray(0, 16 * 64), shape: [16, 8, 8, 1] };
    await expectNoLeak(() => trainer.step(batch), { warmup: 2, repeats: 3, label: 'conv step' });
    const res = await trainer.fit(data, { epochs: 2, batchSize: 16, validationData: data });
    expect(res.history).toHaveLength(2);
    expect(res.history.every((h) => Number.isFinite(h.loss) && Number.isFinite(h.valCdiv!))).toBe(
      true,
    );
    trainer.dispose();
    model.dispose();
  });

  it('resumes bit for bit, replay buffer included', async () => {
    const ck = join(dir, 'conv');
    const a = setup(5);
    const full: StepMetrics[] = [];
    await a.trainer.fit(data, {
      epochs: 2,
      batchSize: 16,
      callbacks: { onBatchEnd: ({ metrics }) => void full.push(metrics) },
    });
    const b = setup(5);
    const ac = new AbortController();
    await b.trainer.fit(data, {
      epochs: 2,
      batchSize: 16,
      checkpointDir: ck,
      checkpointEvery: 2,
      signal: ac.signal,
      callbacks: { onBatchEnd: ({ step }) => void (step === 2 && ac.abort()) },
    });
    const saved = await readCheckpoint(ck);
    expect(saved.manifest.buffer?.tensors.length).toBeGreaterThan(0);
    expect(saved.manifest.optimizer.className).toBe('Adam');
    const c = setup(77);
    const rest: StepMetrics[] = [];
    await c.trainer.fit(data, {
      epochs: 2,
      batchSize: 16,
      checkpointDir: ck,
      resume: true,
      callbacks: { onBatchEnd: ({ metrics }) => void rest.push(metrics) },
    });
    expect(c.trainer.buffer.size).toBe(a.trainer.buffer.size);
    expect(rest).toEqual(full.slice(2));
    for (const t of [a, b, c]) {
      t.trainer.dispose();
      t.model.dispose();
    }
  });
});
