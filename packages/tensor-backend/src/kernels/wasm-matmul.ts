/**
 * `BatchMatMul` for the tfjs wasm backend with transposed operands made explicit.
 *
 * tfjs-backend-wasm 4.22's `BatchMatMul` is fast for `a @ b` but takes a slow path when asked for
 * `transposeA` or `transposeB`, which is exactly what `matMul`'s gradient asks for
 * (`da = dy @ bᵀ`, `db = aᵀ @ dy`). On the book's conv net, the input gradient of the 256 -> 64
 * dense layer (`[128, 64] @ [256, 64]ᵀ`) took 2.7-5 ms against 0.2-0.4 ms for the forward
 * product of the same size (bench/NOTES.md, perf log). This fill transposes the flagged
 * operand with the wasm `Transpose` kernel (last two axes) and runs the stock kernel without
 * flags; untransposed products go straight to the stock kernel.
 *
 * @module kernels/wasm-matmul
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from '../errors.js';
import { kernelMark, processState } from './shared.js';

const BACKEND = 'wasm';
const NAME = 'BatchMatMul';

const state = processState<{ stock?: tf.KernelConfig }>('wasm-matmul', () => ({}));
const { MARK, isOurs } = kernelMark('wasm-matmul');

function kernel(name: string): tf.KernelConfig {
  const config = name === NAME ? state.stock : tf.getKernel(name, BACKEND);
  if (config === undefined) {
    throw new BackendUnavailableError(BACKEND, `wasm kernel '${name}' is not registered`);
  }
  return config;
}

function single(out: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo {
  return Array.isArray(out) ? out[0]! : out;
}

const batchMatMul: tf.KernelFunc = (args) => {
  const attrs = (args.attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
  const stock = kernel(NAME);
  if (!attrs.transposeA && !attrs.transposeB) return stock.kernelFunc(args);
  const backend = args.backend as tf.KernelBackend;
  const made: tf.TensorInfo[] = [];
  const swapLast = (x: tf.TensorInfo): tf.TensorInfo => {
    const r = x.shape.length;
    const perm = Array.from({ length: r }, (_, i) => i);
    perm[r - 2] = r - 1;
    perm[r - 1] = r - 2;
    const t = single(kernel('Transpose').kernelFunc({ inputs: { x }, attrs: { perm }, backend }));
    made.push(t);
    return t;
  };
  try {
    const a = args.inputs['a'] as tf.TensorInfo;
    const b = args.inputs['b'] as tf.TensorInfo;
    return stock.kernelFunc({
      inputs: { a: attrs.transposeA ? swapLast(a) : a, b: attrs.transposeB ? swapLast(b) : b },
      attrs: { ...attrs, transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap,
      backend,
    });
  } finally {
    for (const t of made) backend.disposeData(t.dataId);
  }
};

/**
 * Replaces wasm's `BatchMatMul` with one that makes transposes explicit (see the module
 * comment). Idempotent; `initBackend()` calls it for wasm.
 *
 * @returns `['BatchMatMul']` if it replaced the kernel in this call, else `[]`.
 * @throws {@link BackendUnavailableError} if the wasm backend's kernels are not registered.
 */
export function registerWasmMatMulKernel(): string[] {
  const current = tf.getKernel(NAME, BACKEND);
  if (isOurs(current)) return [];
  if (current === undefined || tf.getKernel('Transpose', BACKEND) === undefined) {
    throw new BackendUnavailableError(
      BACKEND,
      "registerWasmMatMulKernel: the wasm backend's kernels are not registered; import '@tensorflow/tfjs-backend-wasm' first",
    );
  }
  state.stock = current;
  tf.unregisterKernel(NAME, BACKEND);
  // Keep the stock setupFunc (it binds the wasm function) in case the backend initialises later.
  tf.registerKernel({ ...current, kernelFunc: batchMatMul, [MARK]: true } as tf.KernelConfig);
  return [NAME];
}

/** Restores the stock wasm `BatchMatMul`. @returns the names restored. */
export function unregisterWasmMatMulKernel(): string[] {
  if (!isOurs(tf.getKernel(NAME, BACKEND))) return [];
  tf.unregisterKernel(NAME, BACKEND);
  if (state.stock !== undefined) tf.registerKernel(state.stock);
  state.stock = undefined;
  return [NAME];
}
