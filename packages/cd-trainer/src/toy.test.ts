import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { eightGaussians, mlpEnergy, StandInBuffer, sgldFactory } from '../test/standins.js';
import { langevinSnapshot } from './callbacks.js';
import { energyDistance } from './distance.js';
import { createCDTrainer } from './trainer.js';

describe('training on eight Gaussians (2-D, MLP energy)', () => {
  it('moves Langevin samples towards the data and grows the validation cdiv', async () => {
    await tf.setBackend('cpu');
    const t0 = Date.now();
    const model = mlpEnergy(2, 64, 3);
    const train = eightGaussians(1024, 1);
    const held = eightGaussians(256, 2);
    const sampler = sgldFactory({ stepSize: 0.05, noise: 0.01, gradClip: 1, clamp: [-1, 1] });
    const trainer = createCDTrainer({
      model,
      sampler,
      buffer: new StandInBuffer([2], 1024, 0.05, 5),
      learningRate: 1e-3,
      alpha: 0.1,
      steps: 20,
      seed: 11,
    });
    const measure = () => {
      const snap = langevinSnapshot(trainer, { n: 256, steps: 100, record: [100], seed: 99 });
      return energyDistance(
        { data: snap.frames[0]!, shape: [256, 2] },
        { data: held, shape: [256, 2] },
      );
    };
    const before = measure();
    const valBefore = trainer.validate({ data: held, shape: [256, 2] });
    const res = await trainer.fit(
      { data: train, shape: [1024, 2] },
      {
        epochs: 8,
        batchSize: 64,
        validationData: { data: held, shape: [256, 2] },
      },
    );
    const after = measure();
    const valAfter = res.history.at(-1)!.valCdiv!;
    console.log(
      `eight Gaussians: energy distance ${before.toFixed(3)} -> ${after.toFixed(3)}, ` +
        `val cdiv ${valBefore.toFixed(4)} -> ${valAfter.toFixed(4)}, ${(Date.now() - t0) / 1000}s`,
    );
    // Fixed seeds, so these are deterministic on one backend. Measured: 0.470 -> 0.023; other
    // seeds (and the real energy-nets MLP / replay buffer / langevin SGLD in place of the
    // stand-ins) gave 0.02-0.17 after this budget, all below the threshold. Halving is a margin
    // that an untrained or wrongly-signed loss cannot meet: with the sign flipped, samples are
    // pushed away from the data and the distance grows.
    expect(after).toBeLessThan(0.5 * before);
    // Before training the net does not tell noise from data (about 0); after, noise has the
    // higher energy. Energies stay small because alpha * E² keeps them near 0, and one validation
    // cdiv is a Langevin estimate with noise of about +-0.004 (the untrained net measured -0.0123
    // with one random stream and +0.0039 with another, then -0.0013 after the first epoch), so
    // compare the means of the first and the last three epochs (measured -0.0005 -> 0.0023).
    const val = res.history.map((h) => h.valCdiv!);
    const mean3 = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean3(val.slice(-3))).toBeGreaterThan(mean3(val.slice(0, 3)));
    expect(mean3(val.slice(-3))).toBeGreaterThan(0);
    expect(valAfter).toBeGreaterThan(0);
    trainer.dispose();
    model.dispose();
  });
});
