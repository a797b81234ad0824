/**
 * `Conv2D` and `FusedConv2D` for the tfjs wasm backend with fused multiply-adds (relaxed SIMD).
 *
 * tfjs 4.22's XNNPACK convolutions are built for 128-bit wasm SIMD without FMA: a multiply-add is
 * two instructions, and the book's conv net runs at 6-7 GMAC/s per core here, which is most of an
 * SGLD step (bench/NOTES.md, perf log 11). `f32x4.relaxed_madd` of the relaxed-SIMD proposal
 * compiles to one `vfmadd` on x86 with FMA3 (and `fmla` on ARM). These kernels run a direct
 * convolution written in WAT (wat/conv.wat: 4 output pixels x 8 channels per step, the filter
 * packed in panels of 8 channels and cached per filter buffer, the input zero-padded into a
 * scratch buffer when the convolution pads) on tfjs's own heap.
 *
 * Relaxed SIMD is standard in V8 11.4+ (Chrome/Edge 114+, Node 22+); Node 20's V8 has it behind
 * `--experimental-wasm-relaxed-simd` ({@link enableRelaxedSimd} sets that flag). Where the engine
 * lacks it ({@link relaxedSimdAvailable}), nothing is registered. Results differ from XNNPACK's by float rounding
 * (one rounding per multiply-add instead of two), not by more.
 *
 * Covered: float32 NHWC, dilation 1, any stride and padding, output channels a multiple of 4,
 * `FusedConv2D` with a bias and no activation (what `conv2dBias` runs). Anything else goes to the
 * stock kernel.
 *
 * @module kernels/wasm-conv-fma
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from '../errors.js';
import { nodeModule } from '../node-module.js';
import {
  CONV,
  CONV4,
  convHelpers,
  splitConv,
  startConvHelpers,
  stopConvHelpers,
} from './conv-threads.js';
import { repackedFilters } from './filter-cache.js';
import {
  heapMemory,
  heapModule,
  heapOffset,
  isShared,
  kernelMark,
  processState,
  replaceStockKernels,
  restoreStockKernels,
  type WasmHeapBackend,
} from './shared.js';
import { PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM } from './wasm-conv.generated.js';

type TensorInfo = tf.TensorInfo;

const BACKEND = 'wasm';
const NAMES = ['Conv2D', 'FusedConv2D'] as const;

interface ConvExports {
  pad(
    x: number,
    dst: number,
    n: number,
    h: number,
    w: number,
    c: number,
    hp: number,
    wp: number,
    top: number,
    left: number,
  ): void;
  conv: ConvFunc;
  /** The same for 4 output channels: tiles of 8 pixels x 4 channels, panels of 4. */
  conv4: ConvFunc;
}

/** Tiles of 4 output pixels x 8 channels, filter in panels of 8 (see wat/conv.mjs). */
type ConvFunc = (
  x: number,
  w: number,
  bias: number,
  out: number,
  n: number,
  hp: number,
  wp: number,
  cin: number,
  oh: number,
  ow: number,
  cout: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  first: number,
  last: number,
) => void;

const heap = heapModule<ConvExports>(PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM);

/** True if this JavaScript engine compiles relaxed-SIMD wasm (the FMA kernels' module) now. */
export function relaxedSimdAvailable(): boolean {
  return heap.validate();
}

/**
 * Makes relaxed SIMD available if the engine can: in Node 20 (V8 11.3) by setting V8's
 * `--experimental-wasm-relaxed-simd` flag (the proposal is finished; V8 11.4 / Node 22 ship it
 * unflagged). Affects wasm compiled afterwards in this process. Elsewhere nothing is changed.
 *
 * @returns whether relaxed SIMD is available afterwards.
 */
export async function enableRelaxedSimd(): Promise<boolean> {
  if (relaxedSimdAvailable()) return true;
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof p?.versions?.node === 'string') {
    const v8 = await nodeModule<{ setFlagsFromString(flags: string): void }>(
      'node:v8',
      'relaxed SIMD',
    );
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  return relaxedSimdAvailable();
}

const state = processState<{ stock: Map<string, tf.KernelConfig> }>('wasm-conv-fma', () => ({
  stock: new Map(),
}));
const { MARK, isOurs } = kernelMark('wasm-conv-fma');

/**
 * The filter `[kh, kw, cin, cout]` in panels of `lanes` output channels,
 * `[ceil(cout / lanes)][kh * kw * cin][lanes]`, zero-padded.
 */
function packFilter(w: Float32Array, k: number, cout: number, lanes: number): Float32Array {
  const panels = Math.ceil(cout / lanes);
  const out = new Float32Array(panels * k * lanes);
  for (let p = 0; p < panels; p++) {
    const width = Math.min(lanes, cout - p * lanes);
    for (let i = 0; i < k; i++) {
      const src = i * cout + p * lanes;
      const dst = (p * k + i) * lanes;
      for (let j = 0; j < width; j++) out[dst + j] = w[src + j] as number;
    }
  }
  return out;
}

/** What the FMA kernel needs to know, or `null` if the call is not one it covers. */
function plan(
  x: TensorInfo,
  filter: TensorInfo,
  attrs: tf.NamedAttrMap,
): tf.backend_util.Conv2DInfo | null {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const format = (attrs['dataFormat'] as string | undefined) ?? 'NHWC';
  if (format !== 'NHWC') return null;
  const dil = (attrs['dilations'] as number | [number, number] | undefined) ?? 1;
  if (Array.isArray(dil) ? dil.some((d) => d !== 1) : dil !== 1) return null;
  const cout = filter.shape[3] as number;
  if (cout % 4 !== 0 || x.shape[3] !== filter.shape[2]) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs['strides'] as number | [number, number],
    1,
    attrs['pad'] as 'same' | 'valid' | number | tf.backend_util.ExplicitPadding,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
  const p = info.padInfo;
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) return null;
  if (info.outHeight <= 0 || info.outWidth <= 0) return null;
  return info;
}

/** Runs the FMA convolution (bias optional) and returns its output. */
function fmaConv(
  be: WasmHeapBackend,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const ex = heap.exportsFor(be);
  const [n, h, w, cin] = x.shape as [number, number, number, number];
  const { filterHeight: kh, filterWidth: kw, outChannels: cout, padInfo: p } = info;
  const k = kh * kw * cin;
  // 4 output channels: the 4-wide kernel (the 8-wide one would compute half empty panels)
  const lanes = cout === 4 ? 4 : 8;
  const padded = Math.ceil(cout / lanes) * lanes;
  const [packed] = repackedFilters(
    be as unknown as tf.KernelBackend,
    filter,
    `fma-panels-${lanes},${filter.shape.join('x')}`,
    (values) => {
      const panels = packFilter(values, k, cout, lanes);
      return [{ values: panels, shape: [panels.length] }];
    },
  );
  const out = be.makeOutput([n, info.outHeight, info.outWidth, cout], 'float32');
  const hp = h + p.top + p.bottom;
  const wp = w + p.left + p.right;
  const pads = p.top + p.bottom + p.left + p.right > 0;
  // Scratch: the padded bias (zeros without a bias) and, if the conv pads, the padded input.
  const biasBytes = padded * 4;
  const scratchBytes = biasBytes + (pads ? n * hp * wp * cin * 4 : 0);
  const scratch = be.wasm._malloc(scratchBytes);
  if (scratch === 0) {
    throw new BackendUnavailableError(BACKEND, `out of wasm memory (${scratchBytes} bytes)`);
  }
  try {
    // Views after every allocation: the heap may have grown and moved.
    const biasView = new Float32Array(heapMemory(be).buffer, scratch, padded);
    biasView.fill(0);
    if (bias !== undefined) biasView.set(be.typedArrayFromHeap(bias));
    let input = heapOffset(be, x);
    if (pads) {
      ex.pad(input, scratch + biasBytes, n, h, w, cin, hp, wp, p.top, p.left);
      input = scratch + biasBytes;
    }
    const args = [
      input,
      heapOffset(be, packed as TensorInfo),
      scratch,
      heapOffset(be, out),
      n,
      hp,
      wp,
      cin,
      info.outHeight,
      info.outWidth,
      cout,
      kh,
      kw,
      info.strideHeight,
      info.strideWidth,
    ] as const;
    const total = n * info.outHeight * info.outWidth;
    const f = lanes === 4 ? ex.conv4 : ex.conv;
    const memory = heapMemory(be);
    // Helper threads pay off from about a million multiply-adds (a wake-up costs 20-50 us).
    if (convHelpers(memory) > 0 && total * k * padded > 1 << 20) {
      splitConv(memory, lanes === 4 ? CONV4 : CONV, args, total, (first, last) =>
        f(...args, first, last),
      );
    } else {
      f(...args, 0, total);
    }
  } finally {
    be.wasm._free(scratch);
  }
  return out;
}

function stock(name: string): tf.KernelConfig {
  const config = state.stock.get(name);
  if (config === undefined) {
    throw new BackendUnavailableError(BACKEND, `the stock wasm kernel '${name}' is missing`);
  }
  return config;
}

const conv2d: tf.KernelFunc = (args) => {
  const x = args.inputs['x'] as TensorInfo;
  const filter = args.inputs['filter'] as TensorInfo;
  const info = plan(x, filter, args.attrs ?? {});
  if (info === null) return stock('Conv2D').kernelFunc(args);
  return fmaConv(args.backend as unknown as WasmHeapBackend, x, filter, undefined, info);
};

const fusedConv2d: tf.KernelFunc = (args) => {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<
    string,
    TensorInfo | undefined
  >;
  const attrs = args.attrs ?? {};
  const activation = (attrs['activation'] as string | undefined) ?? 'linear';
  const info =
    activation === 'linear' && preluActivationWeights == null && x && filter
      ? plan(x, filter, attrs)
      : null;
  const cout = filter?.shape[3] as number;
  const biasOk =
    bias == null || (bias.dtype === 'float32' && bias.shape.reduce((a, b) => a * b, 1) === cout);
  if (info === null || !biasOk) return stock('FusedConv2D').kernelFunc(args);
  return fmaConv(
    args.backend as unknown as WasmHeapBackend,
    x as TensorInfo,
    filter as TensorInfo,
    bias ?? undefined,
    info,
  );
};

/**
 * Replaces wasm's `Conv2D` and `FusedConv2D` with the FMA kernels if this engine compiles
 * relaxed SIMD now (see {@link enableRelaxedSimd}); idempotent. `initBackend` calls it for a
 * one-thread wasm backend (the kernels are single-threaded; with more threads XNNPACK's pool
 * keeps the convolutions).
 *
 * @returns the kernel names replaced in this call (`[]` without relaxed SIMD or if already done).
 */
export function registerWasmFmaConvKernels(): string[] {
  if (!relaxedSimdAvailable()) return [];
  // Keep the stock setupFunc: it binds the stock function when a wasm backend initialises.
  return replaceStockKernels(
    'registerWasmFmaConvKernels',
    NAMES,
    state.stock,
    isOurs,
    (name, current) =>
      ({
        ...current,
        kernelFunc: name === 'Conv2D' ? conv2d : fusedConv2d,
        [MARK]: true,
      }) as tf.KernelConfig,
  );
}

/** Puts the stock `Conv2D` and `FusedConv2D` back. @returns the names restored. */
export function unregisterWasmFmaConvKernels(): string[] {
  return restoreStockKernels(NAMES, state.stock, isOurs);
}

/**
 * Runs the FMA convolutions on `threads` threads of a wasm backend whose heap is shared (tfjs's
 * threaded build in Node): starts `threads - 1` helper threads (kernels/conv-threads), or stops
 * them for 1. Elsewhere (a plain heap, browsers) it stops any helpers and returns 1.
 *
 * @returns the number of threads the FMA convolutions run on now.
 */
export async function setFmaConvThreads(
  backend: tf.KernelBackend,
  threads: number,
): Promise<number> {
  const memory = heapMemory(backend as unknown as WasmHeapBackend);
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (threads <= 1 || !isShared(memory) || typeof p?.versions?.node !== 'string') {
    await stopConvHelpers();
    return 1;
  }
  await startConvHelpers(memory, heap.compiled(true), threads - 1);
  return threads;
}

/** True while the FMA kernels are registered for wasm. */
export function wasmFmaConvActive(): boolean {
  return isOurs(tf.getKernel('Conv2D', BACKEND));
}
