/**
 * Zero-copy `Identity` and same-dtype `Cast` for the tfjs wasm backend.
 *
 * tfjs-backend-wasm 4.22 copies the whole buffer for `Identity` and for every `Cast`, even
 * float32 -> float32, while the cpu and webgl backends share the data and bump its reference
 * count (as wasm's own `Reshape` does). Both run on every gradient step: the tape clones each
 * tensor a kernel saves for its gradient (`Identity`), and `mul`'s gradient casts the other
 * operand to float32. On the book's conv net these copies were about 4 ms of a 60 ms SGLD step
 * (bench/NOTES.md, perf log). The replacements share the input's data (`incRef`); a `Cast` that
 * changes the dtype, and string tensors, still go to the stock kernels.
 *
 * @module kernels/wasm-zero-copy
 */
import type * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from '../errors.js';
import { kernelMark, processState, replaceStockKernels, restoreStockKernels } from './shared.js';

const BACKEND = 'wasm';
const NAMES = ['Identity', 'Cast'] as const;
type Name = (typeof NAMES)[number];

/** The stock configs we replaced, shared by every copy of this module (one kernel registry). */
const stock = processState('wasm-zero-copy', () => new Map<string, tf.KernelConfig>());
const { MARK, isOurs } = kernelMark('wasm-zero-copy');

interface RefCounted {
  incRef(dataId: tf.DataId): void;
}

/** The input's data under a new TensorInfo (refcount + 1): what cpu's `Identity` does. */
function share(x: tf.TensorInfo, backend: tf.KernelBackend): tf.TensorInfo {
  (backend as unknown as RefCounted).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function fallback(name: Name, args: Parameters<tf.KernelFunc>[0]) {
  const config = stock.get(name);
  if (config === undefined) {
    throw new BackendUnavailableError(BACKEND, `stock wasm kernel '${name}' is not registered`);
  }
  return config.kernelFunc(args);
}

const identity: tf.KernelFunc = (args) => {
  const x = args.inputs['x'] as tf.TensorInfo;
  if (x.dtype === 'string') return fallback('Identity', args);
  return share(x, args.backend as tf.KernelBackend);
};

const cast: tf.KernelFunc = (args) => {
  const x = args.inputs['x'] as tf.TensorInfo;
  const dtype = (args.attrs as unknown as tf.CastAttrs | undefined)?.dtype;
  if (x.dtype === 'string' || dtype !== x.dtype) return fallback('Cast', args);
  return share(x, args.backend as tf.KernelBackend);
};

const configs: Record<Name, tf.KernelConfig> = {
  Identity: { kernelName: 'Identity', backendName: BACKEND, kernelFunc: identity, [MARK]: true },
  Cast: { kernelName: 'Cast', backendName: BACKEND, kernelFunc: cast, [MARK]: true },
} as unknown as Record<Name, tf.KernelConfig>;

/**
 * Replaces wasm's copying `Identity` and same-dtype `Cast` with zero-copy kernels. Call after
 * `@tensorflow/tfjs-backend-wasm` has been imported; `initBackend()` does this for wasm.
 * Idempotent.
 *
 * @returns names of the kernels it replaced in this call.
 * @throws {@link BackendUnavailableError} if the wasm backend's kernels are not registered.
 */
export function registerWasmZeroCopyKernels(): string[] {
  return replaceStockKernels(
    'registerWasmZeroCopyKernels',
    NAMES,
    stock,
    isOurs,
    (name) => configs[name as Name],
  );
}

/** Restores the stock (copying) wasm `Identity` and `Cast`. @returns names of those restored. */
export function unregisterWasmZeroCopyKernels(): string[] {
  return restoreStockKernels(NAMES, stock, isOurs);
}
