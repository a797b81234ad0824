/**
 * What the wasm kernel modules share: process-wide state that survives a second copy of a module
 * (one tfjs kernel registry per process, while bundlers and test runners may load a module twice),
 * the mark that tells ebmjs's kernel configs from the stock ones, and the parts of
 * tfjs-backend-wasm's `BackendWasm` the kernels use.
 *
 * @module kernels/shared
 */
import type * as tf from '@tensorflow/tfjs';

/** The state of kernel module `name`, on `globalThis`, created by `init` on first use. */
export function processState<T>(name: string, init: () => T): T {
  const slot = globalThis as unknown as Record<symbol, T | undefined>;
  const key = Symbol.for(`@ebmjs/tensor-backend:${name}`);
  slot[key] ??= init();
  return slot[key];
}

/**
 * The mark of kernel module `name`: `MARK` (a config property set to `true`) and `isOurs`, true
 * for configs registered by any copy of that module.
 */
export function kernelMark(name: string): {
  MARK: symbol;
  isOurs(config: tf.KernelConfig | undefined): boolean;
} {
  const MARK = Symbol.for(`@ebmjs/tensor-backend:${name}:kernel`);
  return {
    MARK,
    isOurs: (config) =>
      config !== undefined && (config as unknown as Record<symbol, unknown>)[MARK] === true,
  };
}

/** The parts of tfjs-backend-wasm's `BackendWasm` the kernels use to work on its heap. */
export interface WasmHeapBackend {
  /** The emscripten module: its memory is `wasmMemory` (threaded build) or `asm.memory`. */
  wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
}
