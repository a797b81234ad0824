import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createRng } from '@ebmjs/tensor-backend';
import { onBackends } from '@ebmjs/tensor-backend/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { ais, exactLogZ } from './evaluate.js';
import { bernoulliFrom, bruteLogZ, gaussianFrom, randomParams } from './helpers.test-util.js';
import { bernoulli } from './random.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('backends', () => {
  it('wasm (explicit transposes) and cpu (transpose flags) give the same steps and log Z', async () => {
    const p = randomParams(12, 7, 0.8, 3);
    const batch = tf.tidy(() =>
      tf.cast(tf.less(tf.randomUniform([9, 12], 0, 1, 'float32', 1), 0.4), 'float32'),
    );
    const data = { data: batch.dataSync() as Float32Array, shape: [9, 12] };
    batch.dispose();
    const out: Record<string, { W: Float32Array; logZ: number; gW: Float32Array }> = {};
    await onBackends(['cpu', 'wasm'], (backend) => {
      const rbm = bernoulliFrom(p);
      // random draws come from a JS generator, so the same seed gives the same chain everywhere
      rbm.step(data, { k: 3, learningRate: 0.1, momentum: 0.5, seed: 4 });
      rbm.step(data, { persistent: true, learningRate: 0.1, seed: 5 });
      const g = gaussianFrom(p, 0.9);
      g.step(data, { k: 2, learningRate: 0.1, seed: 4 });
      out[backend] = {
        W: rbm.W.dataSync() as Float32Array,
        logZ: exactLogZ(rbm) + exactLogZ(g),
        gW: g.W.dataSync() as Float32Array,
      };
      expect(Math.abs(exactLogZ(bernoulliFrom(p)) - bruteLogZ(p))).toBeLessThan(1e-4);
      rbm.dispose();
      g.dispose();
    });
    const { cpu, wasm } = out as Record<string, (typeof out)[string]>;
    // float32 products summed in different orders: 1e-5 on values of order 1.
    for (let i = 0; i < cpu!.W.length; i++) expect(wasm!.W[i]).toBeCloseTo(cpu!.W[i]!, 5);
    for (let i = 0; i < cpu!.gW.length; i++) expect(wasm!.gW[i]).toBeCloseTo(cpu!.gW[i]!, 5);
    expect(wasm!.logZ).toBeCloseTo(cpu!.logZ, 3);
    await onBackends(['wasm'], () => {
      const rbm = bernoulliFrom(randomParams(10, 6, 0.6, 5));
      const r = ais(rbm, { runs: 50, steps: 200, seed: 1 });
      expect(Math.abs(r.logZ - exactLogZ(rbm))).toBeLessThan(4 * r.logZStdErr + 0.02);
      rbm.dispose();
    });
  });
});

describe('fast random draws', () => {
  it('Bernoulli frequencies match p; Gaussian visible draws have the right moments', async () => {
    await tf.setBackend('cpu');
    const p = tf.tensor1d([0.02, 0.3, 0.9]);
    const tiled = tf.tile(tf.reshape(p, [1, 3]), [20000, 1]);
    const draws = bernoulli(tiled, createRng(1));
    const freq = tf.mean(draws, 0).dataSync();
    const ps = [0.02, 0.3, 0.9];
    // 5 sd of a frequency over 20000 draws
    ps.forEach((q, j) => {
      expect(Math.abs(freq[j]! - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / 20000));
    });
    const z = createRng(2).normal([100001], 0, 2);
    const m = tf.moments(z);
    // sd of mean = 2 / sqrt(1e5) = 0.0063; sd of the variance ~ 4 sqrt(2 / 1e5) = 0.018
    expect(Math.abs(m.mean.dataSync()[0]!)).toBeLessThan(0.032);
    expect(Math.abs(m.variance.dataSync()[0]! - 4)).toBeLessThan(0.09);
    tf.dispose([p, tiled, draws, z, m.mean, m.variance]);
  });
});
