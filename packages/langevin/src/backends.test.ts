import { initBackend } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { acceptanceRate, mala } from './mala.js';
import { disposeState, sample } from './sample.js';
import { sgld } from './sgld.js';
import { ula } from './ula.js';

// Every sampler on both Node backends this machine has (cpu and wasm): runs, reproduces with one
// seed, keeps numTensors flat, and MALA's bool/where/broadcast path works on wasm too.
const quad = (x: tf.Tensor) => tf.tidy(() => tf.mul(tf.sum(tf.square(x), 1), 0.5)) as tf.Tensor1D;

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
  it('sgld, ula and mala run, reproduce with one seed and do not leak', async () => {
    await initBackend({ backend });
    expect(tf.getBackend()).toBe(backend);
    const x0 = tf.randomUniform([64, 3], -1, 1, 'float32', 1);
    const makers = [
      () => sgld(quad, { seed: 4, noise: 0.05 }),
      () => ula(quad, { stepSize: 0.3, seed: 4 }),
      () => mala(quad, { stepSize: 0.8, seed: 4 }),
    ];
    for (const make of makers) {
      const before = tf.memory().numTensors;
      const a = await sample(make(), x0, { steps: 25 });
      const b = await sample(make(), x0, { steps: 25 });
      expect(Array.from(a.samples.dataSync())).toEqual(Array.from(b.samples.dataSync()));
      tf.dispose([a.samples, b.samples]);
      expect(tf.memory().numTensors).toBe(before);
    }
    // MALA on a standard normal at eps = 0.8 accepts most but not all proposals
    const r = await sample(mala(quad, { stepSize: 0.8, seed: 5 }), x0, {
      steps: 25,
      keepState: true,
    });
    const rate = acceptanceRate(r.state!);
    expect(rate).toBeGreaterThan(0.5);
    expect(rate).toBeLessThan(1);
    disposeState(r.state!);
    x0.dispose();
  });
});
