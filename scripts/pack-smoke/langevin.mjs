import { mala, sample } from '@ebmjs/langevin';
import { initBackend } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

await initBackend({ backend: 'wasm' });
const energy = (x) => tf.tidy(() => tf.mul(tf.sum(tf.square(x), 1), 0.5)); // N(0, I)
const run = await sample(mala(energy, { stepSize: 0.8, seed: 1 }), tf.zeros([2000, 2]), {
  steps: 200,
});
const m = tf.moments(run.samples, 0);
const [mean, variance] = [m.mean.dataSync(), m.variance.dataSync()];
// 2000 chains: sd of a mean 0.022, of a variance 0.032; 0.15 is > 4 sd
if (Math.abs(mean[0]) > 0.15 || Math.abs(variance[0] - 1) > 0.15)
  throw new Error(`${mean} ${variance}`);
console.log(`MALA on N(0, I): mean ${mean[0].toFixed(3)}, var ${variance[0].toFixed(3)}`);
