import { createRng, sigmoid } from '@ebmjs/tensor-backend';
import { gradCheck } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  denoisingScoreMatching,
  type EnergyFn,
  exactScoreMatching,
  fisherDivergence,
  gaussianNoise,
  nce,
  score,
  slicedScoreMatching,
} from './index.js';
import {
  chol,
  gaussianModel,
  gaussianSamples,
  inv2,
  meanSe,
  mlpFromParams,
  mlpInit,
} from './test-utils.js';

// Data: N(mu, Sigma) in 2-D with correlation, so that the precision factor has an off-diagonal.
const MU = [0.5, -1];
const SIGMA = [
  [1, 0.6],
  [0.6, 2],
];
const PREC = inv2(SIGMA);
const trueScore = (x: tf.Tensor) =>
  tf.tidy(() => tf.neg(tf.matMul(tf.sub(x, tf.tensor1d(MU)), tf.tensor2d(PREC))));

const data = gaussianSamples(4096, MU, SIGMA, 11);
afterAll(() => data.dispose());

const read = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describe('score', () => {
  it('is minus the energy gradient (Gaussian: -P(x - m))', () => {
    const g = gaussianModel(MU, chol(PREC));
    const x = data.slice(0, 64);
    const s = score(g.energy, x);
    const expected = trueScore(x);
    expect(tf.max(tf.abs(tf.sub(s, expected))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([s, expected, x]);
    g.dispose();
  });
});

describe('exactScoreMatching', () => {
  it('equals -tr P + ½‖P(x − m)‖² per example for a Gaussian model (exact trace)', () => {
    // Model deliberately off the data: m, P chosen by hand.
    const P = [
      [2, -0.5],
      [-0.5, 1],
    ];
    const m = [0.1, 0.3];
    const g = gaussianModel(m, chol(P));
    const x = data.slice(0, 256);
    const got = read(exactScoreMatching(g.energy, x, { reduction: 'none' }));
    const expected = read(
      tf.tidy(() => {
        const r = tf.matMul(tf.sub(x, tf.tensor1d(m)), tf.tensor2d(P));
        return tf.add(tf.mul(0.5, tf.sum(tf.square(r), 1)), -(P[0]![0]! + P[1]![1]!));
      }),
    );
    // float32 on values of size ~10: 1e-4 absolute is a few ulps.
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 4);
    x.dispose();
    g.dispose();
  });

  it('exact trace (and SSM-VR, DSM) on image-shaped inputs [N, 2, 2, 1]', () => {
    // E(x) = Σ c_j x_j² over the 4 pixels: tr ∇s = -2 Σ c_j, s = -2 c x.
    const c = tf.tensor4d([0.5, 1, 1.5, 2], [1, 2, 2, 1]);
    const energy: EnergyFn = (x) => tf.sum(tf.mul(c, tf.square(x)), [1, 2, 3]) as tf.Tensor1D;
    const x = tf.randomNormal([8, 2, 2, 1], 0, 1, 'float32', 3);
    const got = read(exactScoreMatching(energy, x, { reduction: 'none' }));
    const expected = read(
      tf.tidy(() =>
        tf.add(tf.mul(0.5, tf.sum(tf.square(tf.mul(-2, tf.mul(c, x))), [1, 2, 3])), -10),
      ),
    );
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 4);
    // The Hessian is diagonal, so with Rademacher projections (v_j² = 1) SSM-VR's vᵀ∇s v is the
    // exact trace for every draw: SSM-VR equals exact SM example by example.
    const ssm = read(
      slicedScoreMatching(energy, x, { varianceReduced: true, seed: 3, reduction: 'none' }),
    );
    for (let i = 0; i < got.length; i++) expect(ssm[i]).toBeCloseTo(expected[i]!, 4);
    const dsm = denoisingScoreMatching(energy, x, { sigma: [0.1, 1], levels: 'all', seed: 1 });
    expect(dsm.shape).toEqual([]);
    dsm.dispose();
    tf.dispose([c, x]);
  });

  it('equals the Fisher divergence minus a constant: J(θ) − J(data score) = FD(θ)', () => {
    // Integration by parts: E[tr ∇s_θ] = −E[s_θ·s], so
    // J(θ) = FD(θ) + E[½‖s‖² + tr ∇s] = FD(θ) − ½E‖s‖², the constant being J at the data score.
    // Checked per example on 4096 draws: the difference d_i = J_i(θ) − J_i(true) − FD_i has
    // mean 0 in expectation; we require |mean| < 4 standard errors (a 4-sigma band, fixed seed),
    // and that FD is far from 0 (so the test has power), for a Gaussian model and an MLP.
    const trueModel = gaussianModel(MU, chol(PREC));
    const wrong = gaussianModel(
      [0.1, 0.3],
      chol([
        [2, -0.5],
        [-0.5, 1],
      ]),
    );
    const sizes = [2, 16, 16, 1];
    const theta = tf.tensor1d(mlpInit(sizes, 5).map((v) => v * 2));
    const mlp = mlpFromParams(theta, sizes);
    for (const energy of [wrong.energy, mlp]) {
      const jModel = read(exactScoreMatching(energy, data, { reduction: 'none' }));
      const jTrue = read(exactScoreMatching(trueModel.energy, data, { reduction: 'none' }));
      const fd = read(fisherDivergence(energy, trueScore, data, { reduction: 'none' }));
      const diff = jModel.map((j, i) => j - jTrue[i]! - fd[i]!);
      const r = meanSe(diff);
      const f = meanSe(fd);
      expect(Math.abs(r.mean)).toBeLessThan(4 * r.se);
      expect(f.mean).toBeGreaterThan(0.3);
      expect(r.se).toBeLessThan(0.1 * f.mean);
    }
    // Closed forms for the Gaussian pair: FD = ½[tr((Σ⁻¹−P)Σ(Σ⁻¹−P)) + ‖P(m−μ)‖²].
    const fdGauss = meanSe(
      read(fisherDivergence(wrong.energy, trueScore, data, { reduction: 'none' })),
    );
    const P = tf.tensor2d([
      [2, -0.5],
      [-0.5, 1],
    ]);
    const closed = tf.tidy(() => {
      const A = tf.sub(tf.tensor2d(PREC), P);
      const t1 = tf.sum(tf.mul(tf.matMul(A, tf.tensor2d(SIGMA)), A));
      const dm = tf.matMul(tf.tensor2d([[0.1 - MU[0]!, 0.3 - MU[1]!]]), P);
      return tf.mul(0.5, tf.add(t1, tf.sum(tf.square(dm))));
    });
    expect(Math.abs(fdGauss.mean - closed.dataSync()[0]!)).toBeLessThan(4 * fdGauss.se);
    tf.dispose([P, closed, theta]);
    trueModel.dispose();
    wrong.dispose();
  });

  it("Hutchinson's estimator is unbiased for the trace (many probes ≈ exact)", () => {
    const sizes = [2, 16, 16, 1];
    const theta = tf.tensor1d(mlpInit(sizes, 7));
    const e = mlpFromParams(theta, sizes);
    const x = data.slice(0, 128);
    const exact = read(exactScoreMatching(e, x, { reduction: 'none' }));
    const h = read(
      exactScoreMatching(e, x, { hutchinson: true, probes: 64, seed: 1, reduction: 'none' }),
    );
    const h1 = read(
      exactScoreMatching(e, x, { hutchinson: true, probes: 1, seed: 1, reduction: 'none' }),
    );
    // Per-example error of the 64-probe mean vs the exact trace, compared with the 1-probe error:
    // the mean squared error must shrink roughly 64-fold (we ask for 16-fold, generous), and
    // the batch means must agree within 4 standard errors of the paired differences.
    const mse = (a: number[]) => a.reduce((s, v, i) => s + (v - exact[i]!) ** 2, 0) / a.length;
    expect(mse(h1)).toBeGreaterThan(0);
    expect(mse(h)).toBeLessThan(mse(h1) / 16);
    const d = meanSe(h1.map((v, i) => v - exact[i]!));
    expect(Math.abs(d.mean)).toBeLessThan(4 * d.se);
    tf.dispose([theta, x]);
  });

  it('switches to Hutchinson above maxExactDim', () => {
    const sizes = [2, 8, 1];
    const theta = tf.tensor1d(mlpInit(sizes, 7));
    const e = mlpFromParams(theta, sizes);
    const x = data.slice(0, 32);
    const exact = read(exactScoreMatching(e, x));
    const auto = read(exactScoreMatching(e, x, { maxExactDim: 1, seed: 4 }));
    const forced = read(exactScoreMatching(e, x, { hutchinson: true, seed: 4 }));
    expect(auto[0]).toBe(forced[0]);
    expect(auto[0]).not.toBe(exact[0]);
    tf.dispose([theta, x]);
  });
});

describe('slicedScoreMatching', () => {
  it('has the exact objective as expectation (SSM, SSM-VR, every distribution)', () => {
    const sizes = [2, 16, 16, 1];
    const theta = tf.tensor1d(mlpInit(sizes, 9));
    const e = mlpFromParams(theta, sizes);
    const x = data.slice(0, 512);
    const exact = read(exactScoreMatching(e, x, { reduction: 'none' }));
    for (const distribution of ['rademacher', 'gaussian', 'sphere'] as const) {
      for (const varianceReduced of [false, true]) {
        const s = read(
          slicedScoreMatching(e, x, { distribution, varianceReduced, seed: 2, reduction: 'none' }),
        );
        // Paired per-example differences have mean 0; 4-sigma band with the sample's own SE.
        const d = meanSe(s.map((v, i) => v - exact[i]!));
        expect(Math.abs(d.mean)).toBeLessThan(4 * d.se);
        expect(d.se).toBeGreaterThan(0);
      }
    }
    tf.dispose([theta, x]);
  });

  it('more projections reduce the variance', () => {
    const sizes = [2, 16, 1];
    const theta = tf.tensor1d(mlpInit(sizes, 9));
    const e = mlpFromParams(theta, sizes);
    const x = data.slice(0, 256);
    const exact = read(exactScoreMatching(e, x, { reduction: 'none' }));
    const err = (p: number) => {
      const s = read(slicedScoreMatching(e, x, { projections: p, seed: 3, reduction: 'none' }));
      return s.reduce((a, v, i) => a + (v - exact[i]!) ** 2, 0);
    };
    expect(err(16)).toBeLessThan(err(1) / 4);
    tf.dispose([theta, x]);
  });
});

describe('denoisingScoreMatching', () => {
  it('is ½‖σ s(x + σε) + ε‖² per example with the σ² weighting', () => {
    const g = gaussianModel(MU, chol(PREC));
    const x = data.slice(0, 64);
    const sigma = 0.3;
    const got = read(denoisingScoreMatching(g.energy, x, { sigma, seed: 8, reduction: 'none' }));
    const plain = read(
      denoisingScoreMatching(g.energy, x, { sigma, seed: 8, weighting: 'none', reduction: 'none' }),
    );
    // Recompute with the same noise: with one level, the loss's first draw from seed 8 is ε.
    const eps = createRng(8).normal(x.shape);
    const expected = read(
      tf.tidy(() => {
        const s = trueScore(tf.add(x, tf.mul(sigma, eps)));
        return tf.mul(0.5, tf.sum(tf.square(tf.add(tf.mul(sigma, s), eps)), 1));
      }),
    );
    for (let i = 0; i < got.length; i++) {
      expect(got[i]).toBeCloseTo(expected[i]!, 4);
      expect(plain[i]! * sigma * sigma).toBeCloseTo(got[i]!, 4);
    }
    tf.dispose([x, eps]);
    g.dispose();
  });
});

describe('gradients with respect to the weights match finite differences', () => {
  // A swish MLP whose weights are one flat tensor: gradCheck differentiates the loss (which
  // contains input gradients, so this is a 2nd/3rd-order derivative of the net) against central
  // differences. Tolerances: gradCheck's defaults (eps 1e-2, rtol 2e-2, atol 1e-3), documented
  // there; the losses are O(1) so float32 rounding stays far below them.
  const sizes = [2, 8, 8, 1];
  const theta0 = tf.tensor1d(mlpInit(sizes, 1));
  const x = gaussianSamples(
    16,
    [0, 0],
    [
      [1, 0],
      [0, 1],
    ],
    3,
  );
  const noise = gaussianNoise(x);
  afterAll(() => {
    tf.dispose([theta0, x]);
    noise.dispose();
  });
  const cases: Record<string, (t: tf.Tensor) => tf.Tensor> = {
    fisherDivergence: (t) => fisherDivergence(mlpFromParams(t, sizes), (v) => tf.neg(v), x),
    'exactScoreMatching (exact trace)': (t) => exactScoreMatching(mlpFromParams(t, sizes), x),
    'exactScoreMatching (Hutchinson)': (t) =>
      exactScoreMatching(mlpFromParams(t, sizes), x, { hutchinson: true, probes: 2, seed: 5 }),
    slicedScoreMatching: (t) =>
      slicedScoreMatching(mlpFromParams(t, sizes), x, { projections: 2, seed: 5 }),
    'slicedScoreMatching (VR, sphere)': (t) =>
      slicedScoreMatching(mlpFromParams(t, sizes), x, {
        distribution: 'sphere',
        varianceReduced: true,
        seed: 5,
      }),
    denoisingScoreMatching: (t) =>
      denoisingScoreMatching(mlpFromParams(t, sizes), x, { sigma: [0.1, 0.5], seed: 5 }),
    nce: (t) => nce(mlpFromParams(t, sizes), x, { noise, logZ: 0.3, ratio: 2, seed: 5 }),
  };
  for (const [name, f] of Object.entries(cases)) {
    it(name, () => {
      const r = gradCheck(f, theta0, { maxCoords: 60 });
      expect(r.ok, `max abs error ${r.maxAbsError}`).toBe(true);
      expect(Math.max(...r.analytic.map(Math.abs))).toBeGreaterThan(1e-2);
    });
  }

  it('denoisingScoreMatching (noise-conditional, all levels)', () => {
    // E(x, σ) = MLP([x, σ]): the level enters the net as a third input.
    const csizes = [3, 8, 8, 1];
    const theta = tf.tensor1d(mlpInit(csizes, 4));
    const f = (t: tf.Tensor) => {
      const net = mlpFromParams(t, csizes);
      const energy = (v: tf.Tensor, sigma: tf.Tensor1D) =>
        net(tf.concat([v, tf.expandDims(sigma, 1)], 1));
      return denoisingScoreMatching(energy, x, {
        sigma: [0.2, 1],
        conditional: true,
        levels: 'all',
        seed: 5,
      });
    };
    const r = gradCheck(f, theta, { maxCoords: 60 });
    expect(r.ok, `max abs error ${r.maxAbsError}`).toBe(true);
    theta.dispose();
  });

  it('the check has power: a swish built on tf.sigmoid fails it for exact score matching', () => {
    // tfjs's own sigmoid drops terms in higher derivatives (see tensor-backend), so the
    // third-order gradient of the exact SM loss comes out wrong and gradCheck must say so.
    const badSwish = (h: tf.Tensor) => tf.mul(h, tf.sigmoid(h));
    const badMlp =
      (t: tf.Tensor): EnergyFn =>
      (v) => {
        const w1 = tf.reshape(tf.slice(t, 0, 16), [2, 8]);
        const b1 = tf.slice(t, 16, 8);
        const w2 = tf.reshape(tf.slice(t, 24, 8), [8, 1]);
        return tf.reshape(
          tf.matMul(badSwish(tf.add(tf.matMul(v, w1), b1)), w2),
          [-1],
        ) as tf.Tensor1D;
      };
    const goodMlp =
      (t: tf.Tensor): EnergyFn =>
      (v) => {
        const w1 = tf.reshape(tf.slice(t, 0, 16), [2, 8]);
        const b1 = tf.slice(t, 16, 8);
        const w2 = tf.reshape(tf.slice(t, 24, 8), [8, 1]);
        const h = tf.add(tf.matMul(v, w1), b1);
        return tf.reshape(tf.matMul(tf.mul(h, sigmoid(h)), w2), [-1]) as tf.Tensor1D;
      };
    const t = tf.tensor1d(mlpInit([2, 8, 1], 2).slice(0, 32));
    expect(gradCheck((p) => exactScoreMatching(goodMlp(p), x), t).ok).toBe(true);
    expect(gradCheck((p) => exactScoreMatching(badMlp(p), x), t).ok).toBe(false);
    t.dispose();
  });
});
