import { convEnergyNet } from '@ebmjs/energy-nets';
import { createRng } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from './sample.js';
import { sgld } from './sgld.js';

// The book's conv energy net from @ebmjs/energy-nets (built dist), driven by the book's SGLD.
let model: ReturnType<typeof convEnergyNet>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = convEnergyNet({ seed: 1 });
});
afterAll(() => model.dispose());

describe('sgld with the conv energy net', () => {
  it('runs on [N, 32, 32, 1] images, lowers the energy, stays in [-1, 1] and leaks nothing', async () => {
    const x0 = createRng(3).uniform([4, 32, 32, 1], -1, 1);
    const e0 = tf.tidy(() => tf.mean(model.energy(x0)).dataSync()[0]!);
    const before = tf.memory().numTensors;
    const { samples } = await sample(sgld(model.energy, { seed: 2 }), x0, { steps: 10 });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(samples.shape).toEqual([4, 32, 32, 1]);
    const [lo, hi] = tf.tidy(() => [
      tf.min(samples).dataSync()[0]!,
      tf.max(samples).dataSync()[0]!,
    ]);
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(hi).toBeLessThanOrEqual(1);
    const e1 = tf.tidy(() => tf.mean(model.energy(samples)).dataSync()[0]!);
    // 10 steps of clipped gradient descent (moves up to 0.3 per pixel each) on an untrained net:
    // the mean energy must go down.
    expect(e1).toBeLessThan(e0);
    tf.dispose([x0, samples]);
  });
});
