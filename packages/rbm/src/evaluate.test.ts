import { InvalidArgumentError, UnsupportedError } from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ais,
  combineAisWeights,
  exactLogZ,
  logLikelihood,
  pseudoLikelihood,
  reconstructionError,
} from './evaluate.js';
import {
  allStates,
  bernoulliFrom,
  bits,
  bruteLogZ,
  exactPv,
  gaussianFrom,
  randomParams,
} from './helpers.test-util.js';
import { BernoulliRBM } from './rbm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('exact log Z', () => {
  it('matches brute force over both layers (5x4 and 4x5, either layer enumerated)', () => {
    for (const [nv, nh, seed] of [
      [5, 4, 1],
      [4, 5, 2],
      [6, 6, 3],
    ] as const) {
      const p = randomParams(nv, nh, 1.5, seed);
      const rbm = bernoulliFrom(p);
      const ref = bruteLogZ(p);
      // float32 free energies of magnitude ~10 summed over <= 64 states: 1e-4 is ample.
      expect(Math.abs(exactLogZ(rbm) - ref)).toBeLessThan(1e-4);
      expect(Math.abs(exactLogZ(rbm, { over: 'hidden' }) - ref)).toBeLessThan(1e-4);
      expect(Math.abs(exactLogZ(rbm, { over: 'visible' }) - ref)).toBeLessThan(1e-4);
      rbm.dispose();
    }
  });

  it('chunks the enumeration (2^15 states over several chunks) without changing the result', () => {
    // 15 hidden x 80 visible: chunk = 2^20 / 80 = 13107 rows, so 3 chunks. Enumerating the
    // other way is impossible (80 units), so compare a chunked hidden enumeration against the
    // same model with layers swapped (W^T, b <-> c) whose Z is identical, enumerated over
    // its 15 visible units.
    const p = randomParams(80, 15, 0.15, 4);
    const rbm = bernoulliFrom(p);
    const swapped = new BernoulliRBM({ visible: 15, hidden: 80, seed: 1 });
    const Wt = new Float64Array(15 * 80);
    for (let i = 0; i < 80; i++) for (let j = 0; j < 15; j++) Wt[j * 80 + i] = p.W[i * 15 + j]!;
    swapped.setWeights({ W: Wt, b: p.c, c: p.b });
    const a = exactLogZ(rbm);
    const b = exactLogZ(swapped);
    // ~50-nat magnitudes in float32: 1e-3 relative to 2^-24 * 50 * sqrt(#terms) is generous.
    expect(Math.abs(a - b)).toBeLessThan(2e-3);
    rbm.dispose();
    swapped.dispose();
  });

  it('exact log-likelihood makes p(v) sum to one', () => {
    const p = randomParams(5, 3, 1, 5);
    const rbm = bernoulliFrom(p);
    const exact = exactPv(p);
    const states = { data: allStates(5), shape: [32, 5] };
    // mean log p over all 32 states equals the mean of the brute-force log p
    const ref = Array.from(exact, Math.log).reduce((s, x) => s + x, 0) / 32;
    expect(logLikelihood(rbm, states)).toBeCloseTo(ref, 4);
    rbm.dispose();
  });

  it('Gaussian-Bernoulli: refuses visible enumeration; leaks nothing', async () => {
    const g = gaussianFrom(randomParams(3, 4, 1, 6), 1);
    expect(() => exactLogZ(g, { over: 'visible' })).toThrow(UnsupportedError);
    await expectNoLeak(() => exactLogZ(g), { label: 'exactLogZ' });
    g.dispose();
  });
});

describe('AIS', () => {
  it('estimates log Z of a 20x10 RBM within its standard error of the exact value', () => {
    const p = randomParams(20, 10, 0.6, 7);
    const rbm = bernoulliFrom(p);
    const exact = exactLogZ(rbm); // 2^10 hidden states
    // base-rate data: a few samples of the model itself
    const data = rbm.sample(50, { k: 50, seed: 3 });
    const r = ais(rbm, { runs: 100, steps: 500, data, seed: 11 });
    const err = r.logZ - exact;
    // The delta-method SE is the sampling error of log mean w; 4 SE covers it unless the weights
    // are heavy-tailed, and the floor 0.02 nats covers the small downward bias of log-of-mean.
    expect(r.logZStdErr).toBeGreaterThan(0);
    expect(r.logZStdErr).toBeLessThan(0.2);
    expect(Math.abs(err)).toBeLessThan(4 * r.logZStdErr + 0.02);
    expect(r.effectiveSampleSize).toBeGreaterThan(10);
    expect(r.logLikelihood).toBeCloseTo(logLikelihood(rbm, data, { logZ: exact }) - err, 4);
    // Without data the base is uniform (b = 0), whose log Z is many nats from the truth, so
    // agreement shows the annealing itself works, not a lucky base model.
    const u = ais(rbm, { runs: 100, steps: 500, seed: 12 });
    expect(Math.abs(u.logZBase - exact)).toBeGreaterThan(5);
    expect(Math.abs(u.logZ - exact)).toBeLessThan(4 * u.logZStdErr + 0.02);
    data.dispose();
    rbm.dispose();
  });

  it('Gaussian-Bernoulli AIS agrees with the exact log Z', () => {
    const p = randomParams(8, 6, 0.5, 8);
    const g = gaussianFrom(p, 1);
    const exact = exactLogZ(g);
    const r = ais(g, { runs: 100, steps: 300, seed: 2 });
    expect(Math.abs(r.logZ - exact)).toBeLessThan(4 * r.logZStdErr + 0.02);
    expect(Math.abs(r.logZBase - exact)).toBeGreaterThan(0.5);
    g.dispose();
  });

  it('takes custom schedules, checks options and leaks nothing', async () => {
    const rbm = bernoulliFrom(randomParams(6, 4, 0.5, 9));
    const betas = Array.from({ length: 51 }, (_, k) => (k / 50) ** 2);
    const r = ais(rbm, { runs: 20, betas, seed: 1 });
    expect(r.steps).toBe(50);
    expect(Number.isFinite(r.logZ)).toBe(true);
    expect(() => ais(rbm, { runs: 1 })).toThrow(/options\.runs/);
    expect(() => ais(rbm, { betas: [0.1, 1] })).toThrow(/options\.betas/);
    expect(() => ais(rbm, { betas: [0, 0.6, 0.5, 1] })).toThrow(/options\.betas/);
    expect(() => ais(rbm, { data: { data: new Float32Array(5), shape: [1, 5] } })).toThrow(
      /options\.data/,
    );
    await expectNoLeak(() => ais(rbm, { runs: 5, steps: 60 }), { label: 'ais' });
    rbm.dispose();
  });
});

describe('combineAisWeights', () => {
  it('equals log mean exp of the weights, with the delta-method error and the ESS', () => {
    const w = [1.5, -0.25, 0.75, 2];
    const mean = w.reduce((a, x) => a + Math.exp(x), 0) / w.length;
    const r = combineAisWeights(10, w);
    expect(r.logZ).toBeCloseTo(10 + Math.log(mean), 12);
    const sd = Math.sqrt(w.reduce((a, x) => a + (Math.exp(x) - mean) ** 2, 0) / (w.length - 1));
    expect(r.logZStdErr).toBeCloseTo(sd / Math.sqrt(w.length) / mean, 12);
    const s = w.reduce((a, x) => a + Math.exp(x), 0);
    const s2 = w.reduce((a, x) => a + Math.exp(2 * x), 0);
    expect(r.effectiveSampleSize).toBeCloseTo((s * s) / s2, 12);
    // stable for weights far outside exp's range
    expect(combineAisWeights(0, [1000, 1000]).logZ).toBeCloseTo(1000, 9);
  });

  it('rejects empty or NaN weights and a non-finite base', () => {
    expect(() => combineAisWeights(0, [])).toThrow(InvalidArgumentError);
    expect(() => combineAisWeights(0, [1, Number.NaN])).toThrow(/log weight 1 is NaN/);
    expect(() => combineAisWeights(Number.NaN, [1])).toThrow(/logZBase/);
  });
});

describe('pseudo-likelihood and reconstruction', () => {
  it('deterministic pseudo-likelihood equals sum_i log p(v_i | v_-i) by brute force', () => {
    const p = randomParams(5, 4, 1.2, 10);
    const rbm = bernoulliFrom(p);
    const pv = exactPv(p);
    const states = allStates(5);
    const r = pseudoLikelihood(rbm, { data: states, shape: [32, 5] });
    for (let s = 0; s < 32; s++) {
      let ref = 0;
      for (let i = 0; i < 5; i++) {
        const flipped = s ^ (1 << i);
        ref += Math.log(pv[s]! / (pv[s]! + pv[flipped]!));
      }
      expect(r.values[s]).toBeCloseTo(ref, 4);
    }
    expect(bits(3, 5)).toEqual([1, 1, 0, 0, 0]);
    rbm.dispose();
  });

  it('the stochastic (scikit-learn) estimate is unbiased for the exact sum', () => {
    const p = randomParams(8, 5, 1, 11);
    const rbm = bernoulliFrom(p);
    const rows = 4000;
    const data = new Float32Array(rows * 8);
    for (let r = 0; r < rows; r++) data.set(bits(r % 256, 8), r * 8);
    const d = { data, shape: [rows, 8] };
    const exact = pseudoLikelihood(rbm, d).mean;
    const st = pseudoLikelihood(rbm, d, { method: 'stochastic', seed: 4 });
    // 4000 independent single-flip draws: the error of their mean is ~ st.stdErr; 4 SE.
    expect(Math.abs(st.mean - exact)).toBeLessThan(4 * st.stdErr);
    expect(st.stdErr).toBeLessThan(0.3);
    rbm.dispose();
  });

  it('reconstruction error is small for a model that copies its input, and typed errors', async () => {
    // W = 8 I, b = -4, c = -4: h copies v and v copies h almost surely.
    const rbm = new BernoulliRBM({ visible: 4, hidden: 4, seed: 1 });
    const W = new Float32Array(16);
    for (let i = 0; i < 4; i++) W[i * 4 + i] = 8;
    rbm.setWeights({ W, b: new Float32Array(4).fill(-4), c: new Float32Array(4).fill(-4) });
    const d = { data: allStates(4), shape: [16, 4] };
    // per-unit error probability ~ 2 sigmoid(-4) = 0.036, squared error of a mean ~ 0.02^2
    expect(reconstructionError(rbm, d, { seed: 1, sampleHidden: false })).toBeLessThan(0.01);
    expect(reconstructionError(rbm, d, { seed: 1 })).toBeLessThan(0.05);
    expect(() =>
      pseudoLikelihood(rbm, { data: Float32Array.of(0, 0.5, 1, 1), shape: [1, 4] }),
    ).toThrow(InvalidArgumentError);
    expect(() => pseudoLikelihood(rbm, d, { method: 'x' as 'exact' })).toThrow(/options\.method/);
    const g = gaussianFrom(randomParams(4, 2, 1, 1), 1);
    expect(() => pseudoLikelihood(g, d)).toThrow(UnsupportedError);
    const t = tf.tensor2d(d.data, [16, 4]);
    await expectNoLeak(() => pseudoLikelihood(rbm, t), { label: 'pseudoLikelihood' });
    await expectNoLeak(() => pseudoLikelihood(rbm, t, { method: 'stochastic' }), {
      label: 'pl-st',
    });
    await expectNoLeak(() => reconstructionError(rbm, t), { label: 'recon' });
    await expectNoLeak(() => logLikelihood(rbm, t), { label: 'loglik' });
    t.dispose();
    g.dispose();
    rbm.dispose();
  });
});
