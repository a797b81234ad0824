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
// @ebmjs/native-kernels (an optional dependency) was built on install: one thread runs its kernels
if (info.threadCount === 1 && info.convVariant !== 'native') {
  throw new Error(`expected the native convolutions on one thread, got ${info.convVariant}`);
}
console.log(
  `${info.name} simd=${info.simd} convs=${info.convVariant} kernelFills=${info.kernelFills.join(',') || 'none'} swish''(0.3)=${d2.toFixed(4)}`,
);

// The threaded build runs from the installed tarball (its pthread worker script ships in worker/).
const threaded = await initBackend({ backend: 'wasm', threads: 2 });
if (threaded.threadCount !== 2)
  throw new Error(`expected 2 wasm threads, got ${threaded.threadCount}`);
const y = tf
  .conv2d(tf.ones([2, 8, 8, 3]), tf.ones([3, 3, 3, 4]), 1, 'same')
  .sum()
  .dataSync()[0];
// interior outputs see 27 ones, edges fewer: 2 images x 4 channels x sum over the 8x8 grid
if (y !== 2 * 4 * 3 * (8 * 3 - 2) ** 2) throw new Error(`threaded conv sum ${y}`);
console.log(`wasm threads=${threaded.threadCount} conv ok`);
