import { convEnergyNet, gaussianMixtureEnergy } from '@ebmjs/energy-nets';
import { initBackend } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

await initBackend({ backend: 'wasm' });
const net = convEnergyNet({ seed: 1 });
const x = tf.randomUniform([2, 32, 32, 1], -1, 1, 'float32', 2);
const g = tf.grad((v) => tf.sum(net.energy(v)))(x); // the input gradient (wasm kernel fills)
const target = gaussianMixtureEnergy({
  means: [
    [-2, 0],
    [2, 0],
  ],
  stds: 0.5,
});
const lp = target.logProb(tf.tensor2d([[2, 0]])).dataSync()[0];
if (net.parameterCount !== 76993 || g.shape.join() !== '2,32,32,1' || !Number.isFinite(lp))
  throw new Error(`unexpected: ${net.parameterCount} ${g.shape} ${lp}`);
console.log(`book net ${net.parameterCount} params, input grad ${g.shape}, log p ${lp.toFixed(3)}`);
