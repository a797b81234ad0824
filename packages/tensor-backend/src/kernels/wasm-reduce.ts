/**
 * `Sum` over leading axes for the tfjs wasm backend without a transpose.
 *
 * tfjs-backend-wasm reduces only innermost axes, so `tf.sum(x, 0)` (or over [0, 1, 2] of an NHWC
 * tensor: a bias gradient) first transposes the whole tensor: 4-6 ms for 1M floats here. This
 * `Sum` sums the rows of x seen as `[rows, cols]` in one pass (wat/reduce.mjs: 16 columns per
 * pass, rows in blocks of 256 with partial sums); every other call goes to the stock kernel.
 *
 * @module kernels/wasm-reduce
 */
import * as tf from '@tensorflow/tfjs';
import {
  heapModule,
  heapOffset,
  kernelMark,
  processState,
  replaceStockKernels,
  restoreStockKernels,
  type WasmHeapBackend,
} from './shared.js';
import { PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM } from './wasm-reduce.generated.js';

interface ReduceExports {
  colsum(x: number, out: number, rows: number, cols: number): void;
}

const heap = heapModule<ReduceExports>(PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM);
const NAMES = ['Sum'] as const;
const stock = processState<Map<string, tf.KernelConfig>>('wasm-reduce', () => new Map());
const { MARK, isOurs } = kernelMark('wasm-reduce');

const sum: tf.KernelFunc = (args) => {
  const x = args.inputs['x'] as tf.TensorInfo;
  const { axis, keepDims } = args.attrs as unknown as {
    axis: number | number[];
    keepDims: boolean;
  };
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  // covered: float32, the axes a proper prefix 0..k-1 (a suffix is the stock kernel's own case)
  const prefix = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (x.dtype !== 'float32' || !prefix) {
    return (stock.get('Sum') as tf.KernelConfig).kernelFunc(args);
  }
  const be = args.backend as unknown as WasmHeapBackend;
  const kept = x.shape.slice(axes.length);
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const cols = tf.util.sizeFromShape(kept);
  const out = be.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
  if (cols > 0) {
    if (rows === 0) be.typedArrayFromHeap(out).fill(0);
    else heap.exportsFor(be).colsum(heapOffset(be, x), heapOffset(be, out), rows, cols);
  }
  return out;
};

/**
 * Replaces wasm's `Sum` by one that sums leading axes in place (others go to the stock kernel);
 * idempotent, `initBackend` calls it. @returns the names replaced in this call.
 */
export function registerWasmReduceKernels(): string[] {
  // keep the stock setupFunc: it binds the stock function the fallback calls
  return replaceStockKernels(
    'registerWasmReduceKernels',
    NAMES,
    stock,
    isOurs,
    (_name, current) => ({ ...current, kernelFunc: sum, [MARK]: true }) as tf.KernelConfig,
  );
}

/** Puts the stock `Sum` back. @returns the names restored. */
export function unregisterWasmReduceKernels(): string[] {
  return restoreStockKernels(NAMES, stock, isOurs);
}
