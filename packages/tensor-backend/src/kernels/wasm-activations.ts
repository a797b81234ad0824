/**
 * SIMD swish and sigmoid kernels for the tfjs wasm backend.
 *
 * tfjs-backend-wasm runs swish as `Sigmoid` + `Multiply` forward and four elementwise kernels
 * backward, each a full pass over the activations, and its `Sigmoid` is a scalar loop (about
 * 2.3 ns per element here). These kernels do swish forward (y and the sigmoid s its gradient
 * needs) and backward (`dy (s + y (1 - s))`) in one SIMD pass each, and replace `Sigmoid`.
 * They live in a ~1 KB wasm module (wat/activations.wat, assembled into
 * wasm-activations.generated.ts) that imports tfjs's own memory: arguments are the byte offsets
 * of tfjs tensors on its heap, nothing is copied. One instance per tfjs wasm module; the shared-
 * memory variant serves tfjs's threaded build.
 *
 * Kernels: `EbmSwish` (`{x}` -> `[y, s]`), `EbmSwishGrad` (`{dy, y, s}` -> `dx`), and
 * `Sigmoid` (replacing the stock one). `swish` in ops.ts uses the first two where they are
 * registered for the active backend.
 *
 * @module kernels/wasm-activations
 */
import * as tf from '@tensorflow/tfjs';
import {
  heapModule,
  heapOffset,
  kernelMark,
  processState,
  registerOwnKernels,
  unregisterOwnKernels,
  type WasmHeapBackend,
} from './shared.js';
import { PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM } from './wasm-activations.generated.js';

type TensorInfo = tf.TensorInfo;

const BACKEND = 'wasm';
export const SWISH_KERNEL = 'EbmSwish';
export const SWISH_GRAD_KERNEL = 'EbmSwishGrad';

interface ActivationExports {
  init(ptr: number): void;
  constant_bytes(): number;
  sigmoid(x: number, out: number, n: number): void;
  swish(x: number, y: number, s: number, n: number): void;
  swish_grad(dy: number, y: number, s: number, dx: number, n: number): void;
}

// The kernels load their constants from the heap (V8 would rebuild each v128 constant inside
// the loop): a few hundred bytes per tfjs module, allocated once and kept for its life.
const heap = heapModule<ActivationExports>(PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM, {
  setup: (ex, be) => ex.init(be.wasm._malloc(ex.constant_bytes())),
});
const exportsFor = heap.exportsFor;
const offset = heapOffset;

function float32(name: string, info: TensorInfo): void {
  if (info.dtype !== 'float32') {
    throw new TypeError(`${name}: expected a float32 tensor, got ${info.dtype}`);
  }
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

const swishKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const be = backend as unknown as WasmHeapBackend;
  const x = inputs['x'] as TensorInfo;
  float32(SWISH_KERNEL, x);
  const y = be.makeOutput(x.shape, 'float32');
  const s = be.makeOutput(x.shape, 'float32');
  exportsFor(be).swish(offset(be, x), offset(be, y), offset(be, s), size(x.shape));
  return [y, s];
};

const swishGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const be = backend as unknown as WasmHeapBackend;
  const dy = inputs['dy'] as TensorInfo;
  const y = inputs['y'] as TensorInfo;
  const s = inputs['s'] as TensorInfo;
  for (const [k, t] of [
    ['dy', dy],
    ['y', y],
    ['s', s],
  ] as const) {
    float32(SWISH_GRAD_KERNEL, t);
    if (size(t.shape) !== size(y.shape)) {
      throw new TypeError(
        `${SWISH_GRAD_KERNEL}: ${k} has ${size(t.shape)} elements, y has ${size(y.shape)}`,
      );
    }
  }
  const dx = be.makeOutput(y.shape, 'float32');
  exportsFor(be).swish_grad(
    offset(be, dy),
    offset(be, y),
    offset(be, s),
    offset(be, dx),
    size(y.shape),
  );
  return dx;
};

/** The stock `Sigmoid` config we replaced (one kernel registry per process). */
const state = processState<{ stockSigmoid?: tf.KernelConfig }>('wasm-activations', () => ({}));
const { MARK, isOurs } = kernelMark('wasm-activations');

const sigmoidKernel: tf.KernelFunc = (args) => {
  const x = args.inputs['x'] as TensorInfo;
  float32('Sigmoid', x); // as tf.sigmoid requires
  const be = args.backend as unknown as WasmHeapBackend;
  const out = be.makeOutput(x.shape, 'float32');
  exportsFor(be).sigmoid(offset(be, x), offset(be, out), size(x.shape));
  return out;
};

function mark(config: tf.KernelConfig): tf.KernelConfig {
  (config as unknown as Record<symbol, unknown>)[MARK] = true;
  return config;
}

/**
 * Registers `EbmSwish`, `EbmSwishGrad` and the SIMD `Sigmoid` for wasm (idempotent; called by
 * `initBackend`). Returns the kernel names it registered now.
 */
export function registerWasmActivationKernels(): string[] {
  const done = registerOwnKernels(
    { [SWISH_KERNEL]: swishKernel, [SWISH_GRAD_KERNEL]: swishGradKernel },
    MARK,
  );
  const current = tf.getKernel('Sigmoid', BACKEND);
  if (!isOurs(current)) {
    if (current) {
      state.stockSigmoid = current;
      tf.unregisterKernel('Sigmoid', BACKEND);
    }
    // keep the stock setupFunc (it binds the stock function on backend init)
    tf.registerKernel(
      mark({ ...current, kernelName: 'Sigmoid', backendName: BACKEND, kernelFunc: sigmoidKernel }),
    );
    done.push('Sigmoid');
  }
  return done;
}

/** Puts the stock `Sigmoid` back and removes `EbmSwish`/`EbmSwishGrad`. */
export function unregisterWasmActivationKernels(): string[] {
  const done = unregisterOwnKernels([SWISH_KERNEL, SWISH_GRAD_KERNEL], isOurs);
  if (isOurs(tf.getKernel('Sigmoid', BACKEND))) {
    tf.unregisterKernel('Sigmoid', BACKEND);
    if (state.stockSigmoid) tf.registerKernel(state.stockSigmoid);
    done.push('Sigmoid');
  }
  return done;
}
