import {
  createRng,
  DivergenceError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
  UnsupportedError,
} from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { exactLogZ, logLikelihood } from './evaluate.js';
import {
  allStates,
  bernoulliFrom,
  bits,
  energyB,
  energyG,
  exactPv,
  gaussianFrom,
  lse,
  randomParams,
} from './helpers.test-util.js';
import { BernoulliRBM, GaussianBernoulliRBM } from './rbm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Two noisy prototypes on 10 units: a small binary data set with structure. */
function toyData(
  n: number,
  seed: number,
  nv = 10,
): { data: Float32Array; shape: [number, number] } {
  const rng = createRng(seed);
  const data = new Float32Array(n * nv);
  for (let r = 0; r < n; r++) {
    const proto = rng.random() < 0.5 ? 0 : 1;
    for (let i = 0; i < nv; i++) {
      let x = (i < nv / 2 ? 1 : 0) ^ proto;
      if (rng.random() < 0.05) x = 1 - x;
      data[r * nv + i] = x;
    }
  }
  return { data, shape: [n, nv] };
}

describe('energies and conditionals', () => {
  it('energy and free energy of a Bernoulli RBM match brute force over h', () => {
    const p = randomParams(5, 4, 1, 11);
    const rbm = bernoulliFrom(p);
    const V = tf.tensor2d(allStates(5), [32, 5]);
    const F = rbm.freeEnergy(V).dataSync();
    for (let s = 0; s < 32; s++) {
      const terms = Array.from({ length: 16 }, (_, sh) => -energyB(p, bits(s, 5), bits(sh, 4)));
      // float32 arithmetic on O(10) magnitudes: 1e-4 absolute is ~100x machine precision.
      expect(F[s]).toBeCloseTo(-lse(terms), 4);
    }
    const h = tf.tensor2d(
      Float32Array.from({ length: 32 * 4 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
      [32, 4],
    );
    const E = rbm.energy(V, h).dataSync();
    const hv = h.arraySync();
    for (let s = 0; s < 32; s++) expect(E[s]).toBeCloseTo(energyB(p, bits(s, 5), hv[s]!), 4);
    tf.dispose([V, h]);
    rbm.dispose();
  });

  it('Gaussian-Bernoulli free energy equals -log sum_h exp(-E) by brute force', () => {
    const p = randomParams(6, 5, 0.7, 12);
    const sigma = 0.8;
    const rbm = gaussianFrom(p, sigma);
    const rng = createRng(3);
    const rows = Array.from({ length: 8 }, () =>
      Array.from({ length: 6 }, () => 2 * rng.gaussian()),
    );
    const V = tf.tensor2d(rows);
    const F = rbm.freeEnergy(V).dataSync();
    rows.forEach((v, r) => {
      const terms = Array.from({ length: 32 }, (_, sh) => -energyG(p, sigma, v, bits(sh, 5)));
      expect(F[r]).toBeCloseTo(-lse(terms), 3);
    });
    V.dispose();
    rbm.dispose();
  });

  it('Gaussian-Bernoulli log Z (hidden enumeration + Gaussian integral) matches 2-D quadrature', () => {
    // Independent check of the closed-form integral over v: integrate exp(-F(v)) on a grid.
    const p = randomParams(2, 3, 0.8, 13);
    const sigma = 1.3;
    const rbm = gaussianFrom(p, sigma);
    const step = 0.05;
    const lim = 14; // the density has sd 1.3 around |mean| < 5: the tails beyond are < e^-40
    const pts: number[] = [];
    for (let x = -lim; x <= lim; x += step) pts.push(x);
    const grid = new Float32Array(pts.length * pts.length * 2);
    let k = 0;
    for (const x of pts)
      for (const y of pts) {
        grid[k++] = x;
        grid[k++] = y;
      }
    const V = tf.tensor2d(grid, [pts.length * pts.length, 2]);
    const F = rbm.freeEnergy(V).dataSync();
    const logQuad = lse(Array.from(F, (f) => -f)) + 2 * Math.log(step);
    // Riemann sum of a smooth, rapidly decaying integrand: its error falls like
    // exp(-2 pi^2 s^2 / h^2) for length scale s ~ 1 and h = 0.05, far below 1e-3.
    expect(exactLogZ(rbm)).toBeCloseTo(logQuad, 3);
    V.dispose();
    rbm.dispose();
  });

  it('p(h|v), p(v|h) follow the closed forms; Gaussian sampleV has mean b + sigma W h, variance sigma^2', () => {
    const p = randomParams(3, 2, 1, 14);
    const sigma = 0.5;
    const g = gaussianFrom(p, sigma);
    const h = tf.tensor2d([[1, 0]]);
    const mean = g.probV(h).dataSync();
    for (let i = 0; i < 3; i++) expect(mean[i]).toBeCloseTo(p.b[i]! + sigma * p.W[i * 2]!, 5);
    const n = 20000;
    const hs = tf.tile(h, [n, 1]) as tf.Tensor2D;
    const draws = g.sampleV(hs, { seed: 5 });
    const m = tf.moments(draws, 0);
    const mu = m.mean.dataSync();
    const va = m.variance.dataSync();
    for (let i = 0; i < 3; i++) {
      // sd of the sample mean = 0.5 / sqrt(20000) = 0.0035: 5 sd = 0.018
      expect(Math.abs(mu[i]! - mean[i]!)).toBeLessThan(0.018);
      // sd of the sample variance ~ sigma^2 sqrt(2 / n) = 0.0025: 5 sd = 0.0125
      expect(Math.abs(va[i]! - sigma * sigma)).toBeLessThan(0.0125);
    }
    const b = bernoulliFrom(p);
    const v = tf.tensor2d([[1, 0, 1]]);
    const ph = b.probH(v).dataSync();
    for (let j = 0; j < 2; j++) {
      const a = p.c[j]! + p.W[0 * 2 + j]! + p.W[2 * 2 + j]!;
      expect(ph[j]).toBeCloseTo(1 / (1 + Math.exp(-a)), 5);
    }
    tf.dispose([h, hs, draws, m.mean, m.variance, v]);
    g.dispose();
    b.dispose();
  });
});

describe('Gibbs sampling', () => {
  it('long chains on a tiny RBM reproduce the exact distribution over visible states', () => {
    const p = randomParams(4, 3, 1.2, 21);
    const rbm = bernoulliFrom(p);
    const exact = exactPv(p);
    const chains = 4000;
    const start = tf.zeros([chains, 4]) as tf.Tensor2D;
    const out = rbm.gibbs(start, 200, { seed: 7 });
    const rows = out.dataSync();
    const counts = new Float64Array(16);
    for (let r = 0; r < chains; r++) {
      let s = 0;
      for (let i = 0; i < 4; i++) s += rows[r * 4 + i]! << i;
      counts[s]!++;
    }
    let kl = 0;
    for (let s = 0; s < 16; s++) {
      const q = counts[s]! / chains;
      if (q > 0) kl += q * Math.log(q / exact[s]!);
    }
    // 4000 independent final states (200 sweeps from all-zeros; this chain mixes in a few
    // sweeps). Then 2 N KL is ~ chi^2 with 15 dof: mean 15 / 8000 = 0.0019, 99.9% quantile
    // 37.7 / 8000 = 0.0047. 0.006 fails any real bias of that size but not sampling noise.
    expect(kl).toBeLessThan(0.006);
    // and a biased sampler would fail it: the all-zeros start distribution is far away
    expect(Math.log(1 / exact[0]!)).toBeGreaterThan(0.1);
    tf.dispose([start, out]);
    rbm.dispose();
  });

  it('the same seed gives the same samples; sample() starts from noise', () => {
    const rbm = new BernoulliRBM({ visible: 6, hidden: 4, seed: 3, initScale: 0.5 });
    const a = rbm.sample(5, { k: 10, seed: 9 });
    const b = rbm.sample(5, { k: 10, seed: 9 });
    expect(a.shape).toEqual([5, 6]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(a.dataSync().every((x) => x === 0 || x === 1)).toBe(true);
    const m = rbm.sample(3, { k: 2, seed: 1, meanField: true }).dataSync();
    expect(m.some((x) => x > 0 && x < 1)).toBe(true);
    tf.dispose([a, b]);
    rbm.dispose();
  });

  it('gibbs, sample, sampleH/V, step and fit leak no tensors', async () => {
    const rbm = new BernoulliRBM({ visible: 10, hidden: 5, seed: 1 });
    const v = tf.tensor2d(toyData(16, 1).data, [16, 10]);
    await expectNoLeak(() => rbm.gibbs(v, 3).dispose(), { label: 'gibbs' });
    await expectNoLeak(() => rbm.sample(4, { k: 3 }).dispose(), { label: 'sample' });
    await expectNoLeak(() => rbm.sampleV(rbm.sampleH(v)).dispose(), {
      allowed: 3,
      label: 'sampleH/V',
    });
    await expectNoLeak(() => rbm.step(v, { k: 2 }), { label: 'step' });
    await expectNoLeak(() => rbm.step(v, { persistent: true, momentum: 0.5 }), {
      label: 'pcd step',
    });
    // over many epochs: the tensor count after every epoch stays the same
    const counts: number[] = [];
    await rbm.fit(toyData(64, 2), {
      epochs: 6,
      batchSize: 8,
      persistent: true,
      momentum: 0.5,
      weightDecay: 1e-4,
      onEpochEnd: () => {
        counts.push(tf.memory().numTensors);
      },
    });
    expect(new Set(counts).size).toBe(1);
    v.dispose();
    rbm.dispose();
  });

  it('a whole model life (create, train with momentum and PCD, dispose) leaves no tensors', async () => {
    const data = toyData(32, 3);
    await expectNoLeak(
      async () => {
        const rbm = new BernoulliRBM({ visible: 10, hidden: 4, seed: 1 });
        await rbm.fit(data, { epochs: 1, batchSize: 8, persistent: true, momentum: 0.5 });
        rbm.dispose();
      },
      { label: 'model life' },
    );
  });
});

describe('training', () => {
  const train = toyData(200, 31);

  for (const persistent of [false, true]) {
    it(`${persistent ? 'PCD' : 'CD-1'} training raises the exact log-likelihood`, async () => {
      const rbm = new BernoulliRBM({ visible: 10, hidden: 6, seed: 4 });
      const before = logLikelihood(rbm, train);
      const history = await rbm.fit(train, {
        epochs: 40,
        batchSize: 20,
        k: 1,
        persistent,
        // PCD's chains lag behind the weights; with rate 0.1 they oscillate on this bimodal
        // toy (measured), so PCD runs with 100 chains and rate 0.05, as usual for PCD.
        learningRate: persistent ? 0.05 : 0.1,
        chains: persistent ? 100 : undefined,
        momentum: 0.5,
        seed: 8,
      });
      const after = logLikelihood(rbm, train);
      // Start: near-uniform, about -10 ln 2 = -6.9 nats. The data are two prototypes with 5%
      // flips: entropy ~ ln 2 + 10 H(0.05) = 2.68 nats, so a good fit is ~ -3. Demand a gain of
      // 2.5 nats, which only real learning gives.
      expect(before).toBeLessThan(-6.5);
      expect(after).toBeGreaterThan(before + 2.5);
      expect(history.epochs).toHaveLength(40);
      expect(history.epochs[39]!.reconstructionError).toBeLessThan(
        history.epochs[0]!.reconstructionError,
      );
      rbm.dispose();
    });
  }

  it('Gaussian-Bernoulli CD training raises the exact log density of clustered data', async () => {
    const rng = createRng(5);
    const n = 300;
    const data = new Float32Array(n * 4);
    for (let r = 0; r < n; r++) {
      const s = rng.random() < 0.5 ? -1.5 : 1.5;
      for (let i = 0; i < 4; i++)
        data[r * 4 + i] = s * (i % 2 === 0 ? 1 : -1) + 0.4 * rng.gaussian();
    }
    const rbm = new GaussianBernoulliRBM({ visible: 4, hidden: 3, sigma: 1, seed: 2 });
    const d = { data, shape: [n, 4] };
    const before = logLikelihood(rbm, d);
    await rbm.fit(d, { epochs: 60, batchSize: 20, learningRate: 0.02, momentum: 0.5, seed: 1 });
    const after = logLikelihood(rbm, d);
    // Before: N(0, I) on data at distance ~3 from 0: about -4 ln(2 pi)/2 - 2.4^2 ... ~ -8.7 nats.
    // A 2-cluster fit with sigma = 1 reaches about -5.7; require a gain of 1.5 nats.
    expect(after).toBeGreaterThan(before + 1.5);
    rbm.dispose();
  });

  it('a diverging run stops with DivergenceError and keeps finite parameters', async () => {
    const rbm = new GaussianBernoulliRBM({ visible: 3, hidden: 2, seed: 1 });
    const data = {
      data: Float32Array.from({ length: 30 }, (_, i) => (i % 2 ? 1e6 : -1e6)),
      shape: [10, 3],
    };
    const seen: number[] = [];
    await expect(
      rbm.fit(data, {
        epochs: 50,
        batchSize: 5,
        learningRate: 10,
        onEpochEnd: (m) => {
          seen.push(m.epoch);
        },
      }),
    ).rejects.toThrow(DivergenceError);
    // the weights restored from the start of the diverging epoch are finite
    for (const v of rbm.variables) expect(v.dataSync().every(Number.isFinite)).toBe(true);
    expect(seen.length).toBeLessThan(50);
    rbm.dispose();
  });

  it('learning-rate schedules, callbacks and early stop work', async () => {
    const rbm = new BernoulliRBM({ visible: 10, hidden: 3, seed: 1 });
    const seen: number[] = [];
    const batches: number[] = [];
    const lines: string[] = [];
    const h = await rbm.fit(toyData(30, 1), {
      epochs: 5,
      batchSize: 10,
      learningRate: (epoch, step) => {
        seen.push(step);
        return 0.1 / (1 + epoch);
      },
      onBatchEnd: (m) => {
        batches.push(m.step);
      },
      onEpochEnd: (m) => m.epoch < 1,
      progress: (line) => lines.push(line),
    });
    expect(h.epochs).toHaveLength(2);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batches).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines).toHaveLength(2);
    await expect(rbm.fit(toyData(10, 1), { learningRate: () => -1 })).rejects.toThrow(
      InvalidArgumentError,
    );
    rbm.dispose();
  });
});

describe('bad input is refused before work', () => {
  it('throws typed errors naming the argument', async () => {
    const rbm = new BernoulliRBM({ visible: 4, hidden: 3, seed: 1 });
    const W0 = Array.from(rbm.W.dataSync());
    const good = { data: new Float32Array(8), shape: [2, 4] };
    expect(() => new BernoulliRBM({ visible: 0, hidden: 3 })).toThrow(InvalidArgumentError);
    expect(() => new GaussianBernoulliRBM({ visible: 2, hidden: 3, sigma: -1 })).toThrow(
      /options\.sigma/,
    );
    await expect(rbm.fit({ data: new Float32Array(10), shape: [2, 5] })).rejects.toThrow(
      ShapeError,
    );
    await expect(rbm.fit({ data: new Float32Array(7), shape: [2, 4] })).rejects.toThrow(ShapeError);
    await expect(rbm.fit({ data: Float32Array.of(0, 1, 2, 0), shape: [1, 4] })).rejects.toThrow(
      /values in \[0, 1\]/,
    );
    await expect(
      rbm.fit({ data: Float32Array.of(0, 1, Number.NaN, 0), shape: [1, 4] }),
    ).rejects.toThrow(NonFiniteError);
    await expect(rbm.fit(good, { k: 0 })).rejects.toThrow(/options\.k/);
    await expect(rbm.fit(good, { epochs: 1.5 })).rejects.toThrow(/options\.epochs/);
    await expect(rbm.fit(good, { momentum: 1 })).rejects.toThrow(/options\.momentum/);
    expect(() => rbm.step(good, { learningRate: 0 })).toThrow(/options\.learningRate/);
    const v5 = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => rbm.freeEnergy(v5)).toThrow(ShapeError);
    expect(() => rbm.gibbs(tf.zeros([2, 4]) as tf.Tensor2D, 0)).toThrow(
      /k: expected an integer >= 1/,
    );
    expect(() => rbm.step(v5)).toThrow(ShapeError);
    // probabilities are fine for training, but likelihoods need binary data
    const soft = { data: Float32Array.of(0, 0.5, 1, 0), shape: [1, 4] };
    expect(() => rbm.step(soft)).not.toThrow();
    expect(() => logLikelihood(rbm, soft)).toThrow(/binary/);
    const big = new BernoulliRBM({ visible: 30, hidden: 24, seed: 1 });
    expect(() => exactLogZ(big)).toThrow(UnsupportedError);
    big.dispose();
    // nothing was changed by the refused calls except the one accepted step
    const W1 = Array.from(rbm.W.dataSync());
    expect(W1).toHaveLength(W0.length);
    v5.dispose();
    rbm.dispose();
    expect(() => rbm.sample(2)).toThrow(/disposed/);
  });

  it('a refused fit leaves the weights untouched', async () => {
    const rbm = new BernoulliRBM({ visible: 4, hidden: 3, seed: 1 });
    const W0 = Array.from(rbm.W.dataSync());
    await expect(rbm.fit({ data: Float32Array.of(0, 1, 3, 0), shape: [1, 4] })).rejects.toThrow();
    expect(Array.from(rbm.W.dataSync())).toEqual(W0);
    rbm.dispose();
  });
});
