/**
 * What the wasm kernel modules share: process-wide state that survives a second copy of a module
 * (one tfjs kernel registry per process, while bundlers and test runners may load a module twice),
 * the mark that tells ebmjs's kernel configs from the stock ones, and the parts of
 * tfjs-backend-wasm's `BackendWasm` the kernels use.
 *
 * @module kernels/shared
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from '../errors.js';

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

/**
 * Replaces the wasm kernels `names` by `make(name, stockConfig)` (configs that carry the module's
 * mark), keeping the stock configs in `stock` for {@link restoreStockKernels}; kernels already
 * replaced are skipped. `who` names the caller in the error for a missing stock kernel.
 *
 * @returns the names replaced in this call.
 */
export function replaceStockKernels(
  who: string,
  names: readonly string[],
  stock: Map<string, tf.KernelConfig>,
  isOurs: (config: tf.KernelConfig | undefined) => boolean,
  make: (name: string, current: tf.KernelConfig) => tf.KernelConfig,
): string[] {
  const done: string[] = [];
  for (const name of names) {
    const current = tf.getKernel(name, 'wasm');
    if (isOurs(current)) continue;
    if (current === undefined) {
      throw new BackendUnavailableError(
        'wasm',
        `${who}: wasm kernel '${name}' is not registered; import '@tensorflow/tfjs-backend-wasm' first`,
      );
    }
    stock.set(name, current);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(make(name, current));
    done.push(name);
  }
  return done;
}

/** Puts back the stock configs `replaceStockKernels` kept. @returns the names restored. */
export function restoreStockKernels(
  names: readonly string[],
  stock: Map<string, tf.KernelConfig>,
  isOurs: (config: tf.KernelConfig | undefined) => boolean,
): string[] {
  const done: string[] = [];
  for (const name of names) {
    if (!isOurs(tf.getKernel(name, 'wasm'))) continue;
    tf.unregisterKernel(name, 'wasm');
    const config = stock.get(name);
    if (config !== undefined) tf.registerKernel(config);
    stock.delete(name);
    done.push(name);
  }
  return done;
}

/**
 * Registers kernels of ebmjs's own (names no stock kernel has) for `backendName` (default wasm),
 * each config carrying the module's `MARK`; names already registered are skipped.
 * @returns the names registered now.
 */
export function registerOwnKernels(
  kernels: Record<string, tf.KernelFunc>,
  MARK: symbol,
  backendName = 'wasm',
): string[] {
  const done: string[] = [];
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
    if (tf.getKernel(kernelName, backendName)) continue;
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc,
      [MARK]: true,
    } as tf.KernelConfig);
    done.push(kernelName);
  }
  return done;
}

/** Removes the kernels among `names` of `backendName` (default wasm) that `isOurs`. @returns the names removed. */
export function unregisterOwnKernels(
  names: readonly string[],
  isOurs: (config: tf.KernelConfig | undefined) => boolean,
  backendName = 'wasm',
): string[] {
  const done: string[] = [];
  for (const name of names) {
    if (!isOurs(tf.getKernel(name, backendName))) continue;
    tf.unregisterKernel(name, backendName);
    done.push(name);
  }
  return done;
}

/**
 * Whether the active backend has kernel `name`: the ops that use ebmjs's own kernels (swish,
 * `sgldUpdate`, `Rng.normal`) call them where it has, and fall back to stock ops elsewhere.
 */
export function activeBackendHas(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** The parts of tfjs-backend-wasm's `BackendWasm` the kernels use to work on its heap. */
export interface WasmHeapBackend {
  /**
   * The emscripten module: its memory is `wasmMemory` (threaded build) or `asm.memory`;
   * `_malloc`/`_free` manage its heap.
   */
  wasm: {
    wasmMemory?: WebAssembly.Memory;
    asm?: { memory?: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
}

/** The memory of a tfjs wasm module (threaded build: `wasmMemory`; the others export it). */
export function heapMemory(backend: WasmHeapBackend): WebAssembly.Memory {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!memory) throw new BackendUnavailableError('wasm', 'the tfjs wasm memory is not reachable');
  return memory;
}

/** Byte offset of a tensor's data on the wasm heap. */
export function heapOffset(backend: WasmHeapBackend, info: tf.TensorInfo): number {
  const entry = backend.dataIdMap.get(info.dataId);
  if (!entry) throw new BackendUnavailableError('wasm', 'tensor data is not on the wasm backend');
  return entry.memoryOffset;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * A small wasm module (bytes from a `*.generated.ts`, base64, one variant per memory kind) that
 * imports a tfjs wasm module's memory as `env.memory`: `validate()` says whether this engine can
 * compile it; `exportsFor(backend)` instantiates it once per tfjs module (synchronously: the
 * modules are a few KB, which a browser main thread may compile synchronously too). Options:
 * `imports`, more functions for its `env`; `setup(exports, backend)`, run on each new instance
 * (to place constants on the heap, say).
 */
export function heapModule<T>(
  plainBase64: string,
  sharedBase64: string,
  options: {
    imports?: Record<string, (...args: never[]) => unknown>;
    setup?: (exports: T, backend: WasmHeapBackend) => void;
  } = {},
): {
  validate(): boolean;
  exportsFor(backend: WasmHeapBackend): T;
  /** The compiled module for a plain or a shared memory (compiled once). */
  compiled(shared: boolean): WebAssembly.Module;
} {
  const instances = new WeakMap<object, T>();
  const modules: { plain?: WebAssembly.Module; shared?: WebAssembly.Module } = {};
  const compiled = (shared: boolean) => {
    const key = shared ? 'shared' : 'plain';
    modules[key] ??= new WebAssembly.Module(decode(shared ? sharedBase64 : plainBase64));
    return modules[key];
  };
  return {
    validate: () => WebAssembly.validate(decode(plainBase64)),
    compiled,
    exportsFor(backend) {
      const module = backend.wasm;
      let ex = instances.get(module);
      if (ex) return ex;
      const memory = heapMemory(backend);
      const wasm = compiled(isShared(memory));
      ex = new WebAssembly.Instance(wasm, { env: { memory, ...options.imports } })
        .exports as unknown as T;
      options.setup?.(ex, backend);
      instances.set(module, ex);
      return ex;
    },
  };
}

/** Whether a wasm memory is shared (tfjs's threaded build). */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}
