/**
 * Checks against `@ebmjs/energy-nets`' analytic energies (exact scores, exact samplers).
 */
import {
  doubleWellEnergy,
  gaussianEnergy,
  gaussianMixtureEnergy,
  ringEnergy,
} from '@ebmjs/energy-nets';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { exactScoreMatching, fisherDivergence } from './index.js';
import { meanSe } from './test-utils.js';

const MEANS = [
  [-1.5, -1.5],
  [-1.5, 1.5],
  [1.5, -1.5],
  [1.5, 1.5],
];
const mixture = gaussianMixtureEnergy({ means: MEANS, stds: 0.5 });
const x = mixture.sample!(4096, 17);
afterAll(() => x.dispose());

const perExample = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describe('exact score matching on analytic energies', () => {
  // Integration by parts: J(θ) = F(θ) − ½E‖s_data‖² for every model, the constant being J at
  // the data score. Checked per example on 4096 exact mixture samples: d_i = J_i − F_i + ½‖s_i‖²
  // has mean 0; 4-sigma band with the sample's own standard error. The Fisher divergence itself
  // must be far from 0 (> 20 SE), or the check would be empty.
  const halfSq = perExample(tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(mixture.score(x)), 1))));

  it('J(model) − F(model) = −½E‖s_data‖² (mixture data; Gaussian, double-well, ring models)', () => {
    const models = {
      gaussian: gaussianEnergy({ mean: [0, 0], covariance: 1.5 ** 2 + 0.5 ** 2 }),
      doubleWell: doubleWellEnergy({ location: 1.5 }),
      ring: ringEnergy({ radius: 2, width: 0.5 }),
    };
    for (const [name, model] of Object.entries(models)) {
      const j = perExample(exactScoreMatching(model.energy, x, { reduction: 'none' }));
      const f = perExample(fisherDivergence(model.energy, mixture.score, x, { reduction: 'none' }));
      const d = meanSe(j.map((v, i) => v - f[i]! + halfSq[i]!));
      const fd = meanSe(f);
      expect(Math.abs(d.mean), name).toBeLessThan(4 * d.se);
      expect(fd.mean, name).toBeGreaterThan(20 * fd.se);
    }
  });

  it('at the data energy itself, J = −½E‖s‖² and the Fisher divergence is 0', () => {
    const j = perExample(exactScoreMatching(mixture.energy, x, { reduction: 'none' }));
    const d = meanSe(j.map((v, i) => v + halfSq[i]!));
    expect(Math.abs(d.mean)).toBeLessThan(4 * d.se);
    const f = tf.tidy(() => fisherDivergence(mixture.energy, mixture.score, x).dataSync()[0]!);
    expect(f).toBeLessThan(1e-6);
  });
});
