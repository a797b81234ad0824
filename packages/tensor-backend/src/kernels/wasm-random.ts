/**
 * Seeded normal draws as a tfjs wasm kernel, `EbmRandomNormal`: the same numbers as
 * {@link normalArray} (the JS ziggurat every backend uses), drawn in wasm straight into the output
 * tensor on tfjs's heap. The SGLD samplers draw a batch of normals every step (131,072 for the
 * book's MNIST batch): about 2 ms in JS here, a noticeable share of a 30-50 ms step.
 *
 * The module (wat/random.wat) repeats the JS generator operation for operation in f64, with the
 * same tables and `Math.log`/`Math.exp` imported for the rare path, so the bits are identical and
 * a seed reproduces across backends. {@link Rng.normal} uses the kernel where it is registered
 * for the active backend (`initBackend` registers it on wasm).
 *
 * @module kernels/wasm-random
 */
import * as tf from '@tensorflow/tfjs';
import { ziggurat } from '../random-arrays.js';
import {
  heapMemory,
  heapModule,
  heapOffset,
  kernelMark,
  registerOwnKernels,
  unregisterOwnKernels,
  type WasmHeapBackend,
} from './shared.js';
import { PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM } from './wasm-random.generated.js';

/** Name of the wasm kernel that draws seeded normals (see {@link RandomNormalAttrs}). */
export const RANDOM_NORMAL_KERNEL = 'EbmRandomNormal';

/** Attributes of `EbmRandomNormal`: the output shape and `normalArray`'s other arguments. */
export interface RandomNormalAttrs {
  shape: number[];
  seed: number;
  mean: number;
  std: number;
}

interface RandomExports {
  init(ptr: number): void;
  table_bytes(): number;
  normal(out: number, n: number, seed: number, mean: number, std: number): void;
}

const heap = heapModule<RandomExports>(PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM, {
  imports: { log: Math.log, exp: Math.exp },
  // The ziggurat tables, copied once per tfjs module onto its heap (2.5 KB, kept for its life).
  setup(ex, be) {
    const ptr = be.wasm._malloc(ex.table_bytes());
    const { kn, wn, fn } = ziggurat();
    const buf = heapMemory(be).buffer;
    new Int32Array(buf, ptr, 128).set(kn);
    new Float64Array(buf, ptr + 512, 128).set(wn);
    new Float64Array(buf, ptr + 1536, 128).set(fn);
    ex.init(ptr);
  },
});

const randomNormal: tf.KernelFunc = ({ backend, attrs }) => {
  const be = backend as unknown as WasmHeapBackend;
  const { shape, seed, mean, std } = attrs as unknown as RandomNormalAttrs;
  const out = be.makeOutput(shape, 'float32');
  const n = tf.util.sizeFromShape(shape);
  if (n > 0) heap.exportsFor(be).normal(heapOffset(be, out), n, seed, mean, std);
  return out;
};

const { MARK, isOurs } = kernelMark('wasm-random');

/** Registers `EbmRandomNormal` for wasm (idempotent; called by `initBackend`). @returns names registered now. */
export function registerWasmRandomKernels(): string[] {
  return registerOwnKernels({ [RANDOM_NORMAL_KERNEL]: randomNormal }, MARK);
}

/** Removes `EbmRandomNormal` (then {@link Rng.normal} draws in JS on wasm too). */
export function unregisterWasmRandomKernels(): string[] {
  return unregisterOwnKernels([RANDOM_NORMAL_KERNEL], isOurs);
}
