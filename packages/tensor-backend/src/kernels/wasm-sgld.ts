/**
 * The SGLD update `clamp(x - stepSize * clip(g, -gradClip, gradClip), lo, hi)` as one tfjs wasm
 * kernel, `EbmSgldUpdate`: one pass instead of four kernels (clip, multiply, subtract, clamp),
 * each a full pass over the chains and a dispatch through the engine, every Langevin step. Same
 * operations in the same order, so the same bits. Module: wat/sgld.mjs. {@link sgldUpdate} uses
 * it where registered (`initBackend` does on wasm).
 *
 * @module kernels/wasm-sgld
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import {
  heapModule,
  heapOffset,
  kernelMark,
  registerOwnKernels,
  unregisterOwnKernels,
  type WasmHeapBackend,
} from './shared.js';
import { PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM } from './wasm-sgld.generated.js';

/** Name of the wasm kernel behind {@link sgldUpdate} (inputs `x`, `g`; {@link SgldUpdateAttrs}). */
export const SGLD_UPDATE_KERNEL = 'EbmSgldUpdate';

/** Attributes of `EbmSgldUpdate` (no clip: `gradClip` Infinity; no clamp: lo -Infinity, hi Infinity). */
export interface SgldUpdateAttrs {
  stepSize: number;
  gradClip: number;
  lo: number;
  hi: number;
}

interface SgldExports {
  sgld_update(
    x: number,
    g: number,
    out: number,
    n: number,
    eps: number,
    clip: number,
    lo: number,
    hi: number,
  ): void;
}

const heap = heapModule<SgldExports>(PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM);

const sgldUpdateKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as unknown as WasmHeapBackend;
  const x = inputs['x'] as tf.TensorInfo;
  const g = inputs['g'] as tf.TensorInfo;
  const n = tf.util.sizeFromShape(x.shape);
  if (x.dtype !== 'float32' || g.dtype !== 'float32' || tf.util.sizeFromShape(g.shape) !== n) {
    throw new ShapeError(
      SGLD_UPDATE_KERNEL,
      `x and g must be float32 of one size, got ${x.dtype} [${x.shape}] and ${g.dtype} [${g.shape}]`,
    );
  }
  const { stepSize, gradClip, lo, hi } = attrs as unknown as SgldUpdateAttrs;
  const out = be.makeOutput(x.shape, 'float32');
  if (n > 0) {
    heap
      .exportsFor(be)
      .sgld_update(
        heapOffset(be, x),
        heapOffset(be, g),
        heapOffset(be, out),
        n,
        stepSize,
        gradClip,
        lo,
        hi,
      );
  }
  return out;
};

const { MARK, isOurs } = kernelMark('wasm-sgld');

/** Registers `EbmSgldUpdate` for wasm (idempotent; `initBackend` calls it). @returns names registered now. */
export function registerWasmSgldKernel(): string[] {
  return registerOwnKernels({ [SGLD_UPDATE_KERNEL]: sgldUpdateKernel }, MARK);
}

/** Removes `EbmSgldUpdate` (then {@link sgldUpdate} runs the four stock kernels). */
export function unregisterWasmSgldKernel(): string[] {
  return unregisterOwnKernels([SGLD_UPDATE_KERNEL], isOurs);
}
