import { createRng, initBackend, swish } from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';

const info = await initBackend();
if (info.name !== 'wasm') throw new Error(`expected wasm, got ${info.name}`);
const d2 = tf
  .grad((x) => tf.grad((y) => swish(y))(x))(tf.scalar(0.3))
  .dataSync()[0];
if (Math.abs(d2 - 0.478) > 1e-3) throw new Error(`swish'' = ${d2}`);
await expectNoLeak(() => createRng(1).normal([4]).dispose());
console.log(
  `${info.name} simd=${info.simd} kernelFills=${info.kernelFills.join(',') || 'none'} swish''(0.3)=${d2.toFixed(4)}`,
);
