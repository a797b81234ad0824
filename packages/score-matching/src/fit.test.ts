import { gaussianEnergy, gaussianMixtureEnergy, mlpEnergyNet } from '@ebmjs/energy-nets';
import { DivergenceError, InvalidArgumentError, ShapeError } from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BuiltinLoss,
  type EnergyFn,
  fisherDivergence,
  fitScoreMatching,
  type StepLog,
} from './index.js';
import { gaussianModel, gaussianSamples } from './test-utils.js';

const MEANS = [
  [-1.5, -1.5],
  [-1.5, 1.5],
  [1.5, -1.5],
  [1.5, 1.5],
];
const STD = 0.5;
const MIX = gaussianMixtureEnergy({ means: MEANS, stds: STD });
const train = MIX.sample!(2048, 1);
const test = MIX.sample!(1024, 2);
afterAll(() => tf.dispose([train, test]));

describe("training energy-nets' mlpEnergyNet on a 2-D Gaussian mixture", () => {
  // Threshold: a quarter of the Fisher divergence of the best *unimodal* model, the
  // moment-matched Gaussian N(0, (1.5² + 0.5²) I), and of the untrained net, both measured on
  // the same test set (about 3.5 and 3.7; for DSM's target 1.85 and 1.9). The Gaussian is the
  // natural reference for "learned nothing about the modes", so a quarter of it means the net
  // learned the multimodal score; the trained nets reach about a ninth (0.24 DSM, 0.38 SSM-VR, 0.37 exact SM; seeds
  // fixed). DSM estimates the score of the noised data p * N(0, σ²I), so it is measured against
  // that (closed form: the mixture with component variance 0.25 + σ²).
  const SIGMA = 0.3;
  for (const loss of ['dsm', 'ssm', 'esm'] as const) {
    it(`${loss} brings the Fisher divergence well below the best Gaussian's`, async () => {
      const extraVar = loss === 'dsm' ? SIGMA * SIGMA : 0;
      const target = gaussianMixtureEnergy({ means: MEANS, stds: Math.sqrt(STD ** 2 + extraVar) });
      const fdTo = (energy: EnergyFn) =>
        tf.tidy(() => fisherDivergence(energy, target.score, test).dataSync()[0]!);
      const gaussian = gaussianEnergy({ mean: [0, 0], covariance: 1.5 ** 2 + STD ** 2 + extraVar });
      const baseline = fdTo(gaussian.energy);
      const model = mlpEnergyNet({ inputDim: 2, hidden: [16, 16], seed: 3 });
      const before = fdTo(model.energy);
      const r = await fitScoreMatching({
        model,
        loss,
        dsm: { sigma: SIGMA },
        ssm: { varianceReduced: true },
        data: train,
        optimizer: tf.train.adam(1e-2),
        steps: 200,
        batchSize: 64,
        seed: 4,
      });
      const after = fdTo(model.energy);
      expect(r.steps).toBe(200);
      expect(r.history.loss).toHaveLength(200);
      const msg = `untrained ${before}, Gaussian ${baseline}, trained ${after}`;
      expect(after, msg).toBeLessThan(0.25 * baseline);
      expect(after, msg).toBeLessThan(0.25 * before);
      model.dispose();
    });
  }
});

describe('fitScoreMatching', () => {
  const gaussData = gaussianSamples(
    256,
    [0.5, -1],
    [
      [1, 0],
      [0, 1],
    ],
    3,
  );
  afterAll(() => gaussData.dispose());

  for (const loss of ['dsm', 'ssm', 'esm', 'nce'] as BuiltinLoss[]) {
    it(`does not grow the tensor count (${loss})`, async () => {
      const g = gaussianModel(
        [0, 0],
        [
          [1, 0],
          [0.2, 1],
        ],
      );
      const logZ = tf.variable(tf.scalar(1));
      const optimizer = tf.train.adam(1e-2);
      const run = () =>
        fitScoreMatching({
          model: g,
          loss,
          nce: { logZ },
          data: gaussData,
          optimizer,
          steps: 5,
          batchSize: 32,
          seed: 1,
          metrics: { fd: (e, b) => fisherDivergence(e, (x) => tf.neg(tf.sub(x, [0.5, -1])), b) },
          metricsEvery: 2,
        });
      // warmup creates the optimiser's slot variables; after that every run must be flat.
      await expectNoLeak(run, { warmup: 1, repeats: 2 });
      optimizer.dispose();
      logZ.dispose();
      g.dispose();
    });
  }

  it('accepts { data, shape }, records metrics and runs callbacks; false stops', async () => {
    const g = gaussianModel(
      [0, 0],
      [
        [1, 0],
        [0, 1],
      ],
    );
    const plain = { data: gaussData.dataSync() as Float32Array, shape: gaussData.shape };
    const logs: StepLog[] = [];
    let epochs = 0;
    const r = await fitScoreMatching({
      model: g,
      loss: 'esm',
      data: plain,
      optimizer: tf.train.sgd(0.05),
      epochs: 3,
      batchSize: 100, // 3 batches per epoch (100, 100, 56)
      seed: 2,
      metrics: { one: () => 1 },
      metricsEvery: 4,
      callbacks: [
        { onStepEnd: (log) => void logs.push(log) },
        { onEpochEnd: () => void epochs++, onStepEnd: (log) => log.step < 6 },
      ],
    });
    expect(r.stopReason).toBe('callback');
    expect(r.steps).toBe(7);
    expect(logs.map((l) => l.epoch)).toEqual([0, 0, 0, 1, 1, 1, 2]);
    expect(epochs).toBe(3); // two full epochs, and the one cut short
    expect(r.history.metrics.one!.map((m) => m.step)).toEqual([0, 4]);
    expect(logs[4]!.metrics).toEqual({ one: 1 });
    // ESM with SGD on Gaussian data moves m towards the data mean.
    expect(r.history.loss[6]!).toBeLessThan(r.history.loss[0]!);
    g.dispose();
  });

  it('refreshes spectral normalisation after every step', async () => {
    const net = mlpEnergyNet({ inputDim: 2, hidden: [8], spectralNorm: true, seed: 1 });
    let calls = 0;
    const update = net.updateSpectralNorm!.bind(net);
    const model = {
      energy: net.energy,
      variables: net.variables,
      updateSpectralNorm: (k?: number) => {
        calls++;
        update(k);
      },
    };
    await fitScoreMatching({
      model,
      loss: 'dsm',
      data: gaussData,
      optimizer: tf.train.sgd(0.01),
      steps: 3,
      seed: 1,
    });
    expect(calls).toBe(3);
    net.dispose();
  });

  it('stops on an aborted signal', async () => {
    const g = gaussianModel(
      [0, 0],
      [
        [1, 0],
        [0, 1],
      ],
    );
    const ac = new AbortController();
    const r = await fitScoreMatching({
      model: g,
      loss: 'dsm',
      data: gaussData,
      optimizer: tf.train.sgd(0.01),
      steps: 50,
      seed: 1,
      signal: ac.signal,
      callbacks: { onStepEnd: (log) => void (log.step === 2 && ac.abort()) },
    });
    expect(r.stopReason).toBe('aborted');
    expect(r.steps).toBe(3);
    g.dispose();
  });

  it('throws DivergenceError on a NaN loss and keeps the last good weights', async () => {
    const g = gaussianModel(
      [0, 0],
      [
        [1, 0],
        [0, 1],
      ],
    );
    let calls = 0;
    let lastGood: number[] = [];
    const run = fitScoreMatching({
      model: g,
      loss: (e, b) => {
        calls++;
        const l = tf.mean(e(b));
        return calls === 4 ? tf.mul(l, NaN) : l;
      },
      data: gaussData,
      optimizer: tf.train.sgd(0.1),
      steps: 10,
      seed: 1,
      callbacks: {
        onStepEnd: () => {
          lastGood = Array.from(g.m.dataSync());
        },
      },
    });
    await expect(run).rejects.toBeInstanceOf(DivergenceError);
    expect(calls).toBe(4);
    expect(lastGood).toHaveLength(2);
    expect(Array.from(g.m.dataSync())).toEqual(lastGood);
    g.dispose();
  });

  it('rejects bad options with typed errors before training', async () => {
    const g = gaussianModel(
      [0, 0],
      [
        [1, 0],
        [0, 1],
      ],
    );
    const base = { model: g, loss: 'dsm' as const, data: gaussData, optimizer: tf.train.sgd(0.1) };
    const before = tf.memory().numTensors;
    await expect(fitScoreMatching({ ...base, loss: 'xyz' as 'dsm' })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(fitScoreMatching({ ...base, steps: 0 })).rejects.toThrow(/options.steps/);
    await expect(fitScoreMatching({ ...base, steps: 2, epochs: 2 })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(fitScoreMatching({ ...base, batchSize: 1000 })).rejects.toThrow(/batchSize/);
    await expect(
      fitScoreMatching({ ...base, data: { data: new Float32Array(5), shape: [3, 2] } }),
    ).rejects.toThrow(ShapeError);
    await expect(fitScoreMatching({ ...base, optimizer: {} as tf.Optimizer })).rejects.toThrow(
      /options.optimizer/,
    );
    await expect(fitScoreMatching({ ...base, dsm: { sigma: -1 }, steps: 1 })).rejects.toThrow(
      /options.sigma/,
    );
    expect(tf.memory().numTensors).toBe(before);
    g.dispose();
  });
});
