/**
 * Convolution-gradient kernels for the tfjs wasm backend, built from forward `Conv2D`.
 *
 * tfjs-backend-wasm 4.22 ships no `Conv2DBackpropFilter` kernel (so no conv net trains on wasm)
 * and a naive scalar loop for `Conv2DBackpropInput` (about 1 GFLOP/s, while its XNNPACK forward
 * `Conv2D` reaches 10-17 GFLOP/s). This module registers both kernels for `wasm`, each expressed
 * as forward XNNPACK convolutions plus cheap layout kernels (transpose, reshape, slice, concat):
 *
 * - filter gradient: `dW[a, b, ci, co] = sum_{n,i,j} x[n, i*s - pt + a, j*s - pl + b, ci] dy[n, i, j, co]`
 *   is a stride-1 convolution of `x` transposed to `[ci, H, W, n]` (batch and channels swapped)
 *   with `dy` transposed to `[oH, oW, n, co]` as the filter, dilated by the forward stride.
 * - input gradient (`'subpixel'`, the default): output row `p = m*s + q` only meets kernel taps
 *   `r + k*s` with `r = (q + pt) mod s`, so each of the `s*s` output phases is a stride-1
 *   correlation of `dy` with a sub-kernel of the flipped kernel. `'subpixel-packed'` packs all
 *   phases into the output channels of ONE stride-1 convolution (sub-kernels zero-padded to a
 *   common window), then interleaves them back (depth-to-space) and crops. `'subpixel-rows'` runs
 *   one convolution per row phase with exactly the kernel rows it needs (column phases packed in
 *   its channels; fewer wasted multiply-adds, e.g. 25% instead of 44% for 3x3 stride 2), then
 *   stacks whole rows. `'subpixel'` picks rows once each conv has >= 8 output channels, else
 *   packed; with the FMA convolutions registered (kernels/wasm-conv-fma) and input channels a
 *   multiple of 4 (or one) it runs each phase with exactly its taps on the FMA module, which
 *   writes the phase straight into its place in dx (`fmaInputGrad`), and the filter gradient
 *   straight from NHWC x and dy (`fmaFilterGrad`). `'dilated'` inserts `s - 1` zeros between
 *   `dy` pixels and runs a full convolution with the flipped kernel (about `s*s` times more
 *   multiply-adds). Measurements: `bench/NOTES.md`.
 *
 * Only NHWC and dilation 1 are supported (tfjs's own `Conv2D` gradient rejects dilations > 1, and
 * the wasm forward `Conv2D` rejects NCHW); anything else throws an {@link UnsupportedError}.
 *
 * @module kernels/wasm-conv-grads
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, InvalidArgumentError, UnsupportedError } from '../errors.js';
import { clearFilterCache, repackedFilters } from './filter-cache.js';
import { kernelMark, processState, type WasmHeapBackend } from './shared.js';
import { subpixelPhases } from './subpixel.js';
import { fmaFilterGrad, fmaInputGrad, wasmFmaConvActive } from './wasm-conv-fma.js';

type TensorInfo = tf.TensorInfo;
type Backend = tf.KernelBackend;
type Pads4 = [top: number, bottom: number, left: number, right: number];

/**
 * How the input gradient is computed (see the module comment): `'subpixel'` picks per call between
 * `'subpixel-packed'` (all phases in one convolution) and `'subpixel-rows'` (one convolution per
 * row phase); `'dilated'` zero-dilates `dy`.
 */
export type WasmInputGradMethod = 'subpixel' | 'subpixel-packed' | 'subpixel-rows' | 'dilated';
const METHODS: readonly WasmInputGradMethod[] = [
  'subpixel',
  'subpixel-packed',
  'subpixel-rows',
  'dilated',
];

/** Options of {@link registerWasmKernelFills}. */
export interface WasmKernelFillOptions {
  /**
   * Algorithm of the replacement `Conv2DBackpropInput`. `'subpixel'` (default) measured fastest
   * on the book's conv net; the others are kept for comparison (see `bench/`).
   */
  inputGradMethod?: WasmInputGradMethod;
  /**
   * With the FMA convolutions registered (kernels/wasm-conv-fma), compute the input gradient's
   * sub-pixel phases and the filter gradient on their module directly (default `true`); `false`
   * keeps the Conv2D-plus-layout-kernel fills, for comparison.
   */
  fmaGradients?: boolean;
}

const BACKEND = 'wasm';
const FILTER_GRAD = 'Conv2DBackpropFilter';
const INPUT_GRAD = 'Conv2DBackpropInput';

/**
 * State shared by every copy of this module in the process (bundlers and test runners may load it
 * more than once, while tfjs's kernel registry is a single global): the chosen input-gradient
 * method and the stock kernel configs we replaced (restored by {@link unregisterWasmKernelFills}).
 */
interface FillState {
  method: WasmInputGradMethod;
  fmaGradients: boolean;
  stock: Map<string, tf.KernelConfig>;
}

const state = processState<FillState>('wasm-conv-grads', () => ({
  method: 'subpixel',
  fmaGradients: true,
  stock: new Map(),
}));
const { MARK, isOurs } = kernelMark('wasm-conv-grads');

/**
 * Tracks every TensorInfo made while one kernel runs and disposes all of them except the one
 * the kernel returns (`keep`). Inputs of the kernel are never tracked, so never disposed.
 */
class Scope {
  private readonly made: TensorInfo[] = [];
  constructor(readonly backend: Backend) {}

  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): TensorInfo {
    const kernel = tf.getKernel(kernelName, BACKEND);
    if (kernel === undefined) {
      throw new BackendUnavailableError(
        BACKEND,
        `wasm kernel '${kernelName}' is not registered: import '@tensorflow/tfjs-backend-wasm' first`,
      );
    }
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    const info = Array.isArray(out) ? out[0] : out;
    if (info === undefined) throw new Error(`wasm kernel '${kernelName}' returned no output`);
    this.made.push(info);
    return info;
  }

  /** Uploads values as a new float32 tensor owned by the backend. */
  write(values: Float32Array, shape: number[]): TensorInfo {
    const info: TensorInfo = {
      dataId: this.backend.write(values, shape, 'float32'),
      shape,
      dtype: 'float32',
    };
    this.made.push(info);
    return info;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  zeros(shape: number[]): TensorInfo {
    return this.run('Fill', {}, { shape, value: 0, dtype: 'float32' });
  }

  /**
   * Stride-1 NHWC convolution with per-side padding that may be negative (a negative pad crops
   * that many rows/columns of `x` first). Padding is explicit zero padding, as in `Conv2D`.
   */
  conv(x: TensorInfo, filter: TensorInfo, pads: Pads4, dilations: [number, number]): TensorInfo {
    const [n, h, w] = x.shape as [number, number, number, number];
    const [fh, fw, , cout] = filter.shape as [number, number, number, number];
    const [t, b, l, r] = pads;
    const outH = h + t + b - ((fh - 1) * dilations[0] + 1) + 1;
    const outW = w + l + r - ((fw - 1) * dilations[1] + 1) + 1;
    let input = x;
    if (t < 0 || b < 0 || l < 0 || r < 0) {
      const top = Math.max(0, -t);
      const left = Math.max(0, -l);
      const hh = h - top - Math.max(0, -b);
      const ww = w - left - Math.max(0, -r);
      // Every window lies in the padding: the result is all zeros.
      if (hh <= 0 || ww <= 0) return this.zeros([n, outH, outW, cout]);
      input = this.slice(x, [0, top, left, 0], [n, hh, ww, x.shape[3] as number]);
    }
    const pad: [number, number][] = [
      [0, 0],
      [Math.max(0, t), Math.max(0, b)],
      [Math.max(0, l), Math.max(0, r)],
      [0, 0],
    ];
    return this.run(
      'Conv2D',
      { x: input, filter },
      { strides: [1, 1], pad, dataFormat: 'NHWC', dilations },
    );
  }

  /**
   * `[n, H, W, sh*sw*c]` with channel blocks ordered (phase row, phase column, channel) to
   * `[n, H*sh, W*sw, c]`: depth-to-space with possibly different row and column block sizes.
   */
  interleave(x: TensorInfo, sh: number, sw: number): TensorInfo {
    const [n, h, w, c4] = x.shape as [number, number, number, number];
    const c = c4 / (sh * sw);
    if (sh === 1 && sw === 1) return x;
    // [n*h, w, sh, sw*c] -> [n*h, sh, w, sw*c] is [n, h, sh, w, sw, c]: rank-4 transpose (the wasm
    // transpose is generic and slow above rank 4).
    const r = this.reshape(x, [n * h, w, sh, sw * c]);
    const t = this.transpose(r, [0, 2, 1, 3]);
    return this.reshape(t, [n, h * sh, w * sw, c]);
  }

  /**
   * Interleaves whole rows: `rows[q]` is `[n, m, rowLen]` (any shape of that size) and the result
   * `[n, m * rows.length, rowLen]` has row `i * rows.length + q` = `rows[q]` row `i`. Copies rows
   * with `copyWithin` on the wasm heap (no per-row typed-array views, unlike the wasm `Concat`).
   */
  stackRows(rows: TensorInfo[], n: number, m: number, rowLen: number, shape: number[]): TensorInfo {
    const be = this.backend as unknown as WasmHeapBackend;
    const out = be.makeOutput(shape, 'float32');
    this.made.push(out);
    const outView = be.typedArrayFromHeap(out);
    const heap = new Float32Array(outView.buffer);
    const k = rows.length;
    const dst0 = outView.byteOffset >> 2;
    rows.forEach((r, q) => {
      const src0 = be.typedArrayFromHeap(r).byteOffset >> 2;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < m; i++) {
          const src = src0 + (b * m + i) * rowLen;
          heap.copyWithin(dst0 + ((b * m + i) * k + q) * rowLen, src, src + rowLen);
        }
      }
    });
    return out;
  }

  /** Disposes everything made except `keep` (whose data the backend then owns alone). */
  disposeAllBut(keep: TensorInfo | undefined): void {
    for (const info of this.made) {
      if (info !== keep) this.backend.disposeData(info.dataId);
    }
    this.made.length = 0;
  }
}

function geometryKey(filter: TensorInfo, info: tf.backend_util.Conv2DInfo, method: string): string {
  const p = info.padInfo;
  return [
    method,
    filter.shape.join('x'),
    info.inHeight,
    info.inWidth,
    info.strideHeight,
    info.strideWidth,
    p.top,
    p.left,
    info.outHeight,
    info.outWidth,
  ].join(',');
}

function checkAttrs(kernel: string, attrs: tf.NamedAttrMap): void {
  const format = attrs['dataFormat'];
  if (format !== undefined && format !== 'NHWC') {
    throw new UnsupportedError(
      `${kernel} (ebmjs wasm fill): attrs.dataFormat must be 'NHWC', got '${String(format)}'`,
    );
  }
  const dil = attrs['dilations'] as number | number[] | undefined;
  if (dil !== undefined && (Array.isArray(dil) ? dil.some((d) => d !== 1) : dil !== 1)) {
    throw new UnsupportedError(
      `${kernel} (ebmjs wasm fill): attrs.dilations must be 1, got ${JSON.stringify(dil)}`,
    );
  }
}

/** Runs `body` in a scope and returns its result with every intermediate disposed. */
function scoped(backend: Backend, body: (s: Scope) => TensorInfo): TensorInfo {
  const s = new Scope(backend);
  let out: TensorInfo | undefined;
  try {
    out = body(s);
    return out;
  } finally {
    s.disposeAllBut(out);
  }
}

const conv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = (attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  checkAttrs(FILTER_GRAD, attrs ?? {});
  const x = inputs['x'] as TensorInfo;
  const dy = inputs['dy'] as TensorInfo;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, padInfo } = info;
  const { filterHeight: kh, filterWidth: kw, inHeight: ih, inWidth: iw } = info;
  if (state.fmaGradients && wasmFmaConvActive()) {
    // With the FMA convolutions: straight from NHWC x and dy, no transposes.
    const dw = fmaFilterGrad(backend as unknown as WasmHeapBackend, x, dy, info);
    if (dw !== null) return dw;
  }
  return scoped(backend as Backend, (s) => {
    const xT = s.transpose(x, [3, 1, 2, 0]); // [ci, H, W, n]
    const dyT = s.transpose(dy, [1, 2, 0, 3]); // [oH, oW, n, co]
    // Output rows of the dilated conv must be exactly kh: solve for the bottom/right padding.
    const bottom = kh - 1 + (oh - 1) * sh + 1 - ih - padInfo.top;
    const right = kw - 1 + (ow - 1) * sw + 1 - iw - padInfo.left;
    const g = s.conv(xT, dyT, [padInfo.top, bottom, padInfo.left, right], [sh, sw]); // [ci,kh,kw,co]
    return s.transpose(g, [1, 2, 0, 3]);
  });
};

/** Per-dimension plan of the sub-pixel input gradient. */
interface PhasePlan {
  /** Stride. */
  s: number;
  /** Common window size of the packed sub-kernels. */
  win: number;
  /** Padding before `dy` (may be negative). */
  padBefore: number;
  /** Padding after `dy` (may be negative). */
  padAfter: number;
  /** Output positions per phase: ceil(in / s). */
  n: number;
  /** For each output phase q: kernel tap residue r, taps K, window offset o. */
  phases: { r: number; taps: number; offset: number }[];
}

function planPhases(k: number, s: number, padBefore: number, inSize: number, outSize: number) {
  const raw = subpixelPhases(k, s, padBefore, inSize);
  const active = raw.filter((p) => p.taps > 0);
  const before = Math.max(...active.map((p) => p.taps - 1 - p.c));
  const win = Math.max(...active.map((p) => before + p.c + 1));
  const n = Math.ceil(inSize / s);
  const plan: PhasePlan = {
    s,
    win,
    padBefore: before,
    padAfter: n + win - 1 - outSize - before,
    n,
    phases: raw.map((p) => ({ r: p.r, taps: p.taps, offset: before + p.c - p.taps + 1 })),
  };
  return plan;
}

const conv2DBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = (attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  checkAttrs(INPUT_GRAD, attrs ?? {});
  const dy = inputs['dy'] as TensorInfo;
  const filter = inputs['filter'] as TensorInfo;
  const info = tf.backend_util.computeConv2DInfo(
    a.inputShape,
    filter.shape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  const be = backend as Backend;
  if (state.method === 'subpixel' && state.fmaGradients && wasmFmaConvActive()) {
    // With the FMA convolutions: the phases computed without zero taps, written in place.
    const dx = fmaInputGrad(be as unknown as WasmHeapBackend, dy, filter, info);
    if (dx !== null) return dx;
  }
  switch (state.method) {
    case 'dilated':
      return inputGradDilated(be, dy, filter, info);
    case 'subpixel-rows':
      return inputGradSubpixelRows(be, dy, filter, info);
    case 'subpixel-packed':
      return inputGradSubpixelPacked(be, dy, filter, info);
    default:
      // Measured on the book's net (bench/NOTES.md): one conv per row phase wins once each conv
      // has enough output channels (sw * ci >= 8); below that (e.g. a 1-channel input layer) the
      // single packed conv is faster.
      return info.strideHeight > 1 && info.strideWidth * info.inChannels >= 8
        ? inputGradSubpixelRows(be, dy, filter, info)
        : inputGradSubpixelPacked(be, dy, filter, info);
  }
};

function inputGradSubpixelPacked(
  backend: Backend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { inHeight: ih, inWidth: iw, inChannels: ci, outChannels: co, batchSize: nb } = info;
  const ph = planPhases(kh, sh, info.padInfo.top, ih, info.outHeight);
  const pw = planPhases(kw, sw, info.padInfo.left, iw, info.outWidth);
  // Packed filter G[jh, jw, co, (qh*sw + qw)*ci + c] = w[r_h + (K_h-1-(jh-o_h))*sh, ..., c, co].
  const c2 = sh * sw * ci;
  const [gT] = repackedFilters(backend, filter, geometryKey(filter, info, 'packed'), (w) => [
    { values: packFilter(w), shape: [ph.win, pw.win, co, c2] },
  ]);
  function packFilter(w: Float32Array): Float32Array {
    const g = new Float32Array(ph.win * pw.win * co * c2);
    ph.phases.forEach((qh, iqh) => {
      for (let th = 0; th < qh.taps; th++) {
        const jh = qh.offset + th;
        const dh = qh.r + (qh.taps - 1 - th) * sh;
        pw.phases.forEach((qw, iqw) => {
          for (let tw = 0; tw < qw.taps; tw++) {
            const jw = qw.offset + tw;
            const dw = qw.r + (qw.taps - 1 - tw) * sw;
            const chan0 = (iqh * sw + iqw) * ci;
            const gBase = (jh * pw.win + jw) * co * c2;
            const wBase = (dh * kw + dw) * ci * co;
            for (let c = 0; c < ci; c++) {
              for (let o = 0; o < co; o++) {
                g[gBase + o * c2 + chan0 + c] = w[wBase + c * co + o] as number;
              }
            }
          }
        });
      }
    });
    return g;
  }
  return scoped(backend, (s) => {
    const packed = s.conv(
      dy,
      gT as TensorInfo,
      [ph.padBefore, ph.padAfter, pw.padBefore, pw.padAfter],
      [1, 1],
    );
    const full = s.interleave(packed, sh, sw); // [n, ph.n*sh, pw.n*sw, ci]
    if (ph.n * sh === ih && pw.n * sw === iw) {
      // Make sure we return a tensor made here (interleave may return its input when s = 1).
      return full;
    }
    return s.slice(full, [0, 0, 0, 0], [nb, ih, iw, ci]);
  });
}

/**
 * Sub-pixel input gradient with one convolution per output phase ROW: each row-phase conv uses
 * the exact number of kernel rows it needs (no zero rows) and packs the column phases into its
 * output channels, so the column interleave is a free reshape and the row interleave a cheap
 * concat of whole rows.
 */
function inputGradSubpixelRows(
  backend: Backend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { inHeight: ih, inWidth: iw, inChannels: ci, outChannels: co, batchSize: nb } = info;
  const ph = planPhases(kh, sh, info.padInfo.top, ih, info.outHeight);
  const pw = planPhases(kw, sw, info.padInfo.left, iw, info.outWidth);
  const c2 = sw * ci;
  // Per row phase: G[th, jw, co, qw*ci + c] = w[r_h + (K_h-1-th)*sh, r_w + (K_w-1-(jw-o_w))*sw, c, co].
  const build = (w: Float32Array) =>
    ph.phases.map((qh) => {
      if (qh.taps === 0) return null;
      const g = new Float32Array(qh.taps * pw.win * co * c2);
      for (let th = 0; th < qh.taps; th++) {
        const dh = qh.r + (qh.taps - 1 - th) * sh;
        pw.phases.forEach((qw, iqw) => {
          for (let tw = 0; tw < qw.taps; tw++) {
            const jw = qw.offset + tw;
            const dw = qw.r + (qw.taps - 1 - tw) * sw;
            const gBase = (th * pw.win + jw) * co * c2 + iqw * ci;
            const wBase = (dh * kw + dw) * ci * co;
            for (let c = 0; c < ci; c++) {
              for (let o = 0; o < co; o++) g[gBase + o * c2 + c] = w[wBase + c * co + o] as number;
            }
          }
        });
      }
      return { values: g, shape: [qh.taps, pw.win, co, c2] };
    });
  const filters = repackedFilters(backend, filter, geometryKey(filter, info, 'rows'), build);
  return scoped(backend, (s) => {
    const rows = ph.phases.map((qh, i) => {
      const gT = filters[i];
      if (!gT) return s.zeros([nb, ph.n, pw.n, c2]);
      const top = ph.padBefore - qh.offset;
      const bottom = ph.n + qh.taps - 1 - info.outHeight - top;
      return s.conv(dy, gT, [top, bottom, pw.padBefore, pw.padAfter], [1, 1]);
    }); // each [n, N, Nw, sw*ci]
    const rowLen = pw.n * c2;
    const full =
      sh === 1
        ? s.reshape(rows[0] as TensorInfo, [nb, ph.n, pw.n * sw, ci])
        : s.stackRows(rows, nb, ph.n, rowLen, [nb, ph.n * sh, pw.n * sw, ci]);
    if (ph.n * sh === ih && pw.n * sw === iw) return full;
    return s.slice(full, [0, 0, 0, 0], [nb, ih, iw, ci]);
  });
}

function inputGradDilated(
  backend: Backend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { inHeight: ih, inWidth: iw, outHeight: oh, outWidth: ow } = info;
  const { batchSize: nb, outChannels: co } = info;
  return scoped(backend, (s) => {
    // Flipped kernel with in/out channels swapped: [kh, kw, co, ci].
    const flipped = s.run('Reverse', { x: filter }, { dims: [0, 1] });
    const wf = s.transpose(flipped, [0, 1, 3, 2]);
    let dyd = dy;
    if (sh > 1 || sw > 1) {
      // Zero-dilate dy: put dy in phase (0, 0) of sh*sw channel blocks, then depth-to-space.
      const blocks = sh * sw;
      const padded = s.run(
        'PadV2',
        { x: s.reshape(dy, [nb * oh * ow, 1, co]) },
        {
          paddings: [
            [0, 0],
            [0, blocks - 1],
            [0, 0],
          ],
          constantValue: 0,
        },
      );
      dyd = s.interleave(s.reshape(padded, [nb, oh, ow, blocks * co]), sh, sw);
    }
    const hd = dyd.shape[1] as number;
    const wd = dyd.shape[2] as number;
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const out = s.conv(
      dyd,
      wf,
      [top, ih + kh - 1 - hd - top, left, iw + kw - 1 - wd - left],
      [1, 1],
    );
    return out;
  });
}

const filterGradConfig = {
  kernelName: FILTER_GRAD,
  backendName: BACKEND,
  kernelFunc: conv2DBackpropFilter,
  [MARK]: true,
} as tf.KernelConfig;
const inputGradConfig = {
  kernelName: INPUT_GRAD,
  backendName: BACKEND,
  kernelFunc: conv2DBackpropInput,
  [MARK]: true,
} as tf.KernelConfig;

function install(config: tf.KernelConfig): boolean {
  const current = tf.getKernel(config.kernelName, BACKEND);
  if (isOurs(current)) return false;
  if (current !== undefined) {
    state.stock.set(config.kernelName, current);
    tf.unregisterKernel(config.kernelName, BACKEND);
  }
  tf.registerKernel(config);
  return true;
}

/**
 * Registers ebmjs's `Conv2DBackpropFilter` (missing from tfjs-backend-wasm 4.22) and a faster
 * `Conv2DBackpropInput` for the `wasm` backend, both built from the backend's XNNPACK forward
 * `Conv2D`. Call it after `@tensorflow/tfjs-backend-wasm` has been imported (it registers the
 * stock kernels on import); `initBackend()` does this for you.
 *
 * Idempotent: a second call registers nothing (it only updates `options.inputGradMethod`).
 *
 * @param options - advanced: choose the input-gradient algorithm (for benchmarks).
 * @returns names of the kernels it registered or replaced in this call.
 * @throws {@link BackendUnavailableError} if the wasm backend's kernels are not registered.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-wasm';
 * registerWasmKernelFills(); // ['Conv2DBackpropFilter', 'Conv2DBackpropInput']
 * await tf.setBackend('wasm');
 * ```
 */
export function registerWasmKernelFills(options: WasmKernelFillOptions = {}): string[] {
  const method = options.inputGradMethod ?? state.method;
  if (!METHODS.includes(method)) {
    throw new InvalidArgumentError(
      'options.inputGradMethod',
      `expected one of ${METHODS.map((m) => `'${m}'`).join(', ')}, got '${String(method)}'`,
    );
  }
  if (tf.getKernel('Conv2D', BACKEND) === undefined) {
    throw new BackendUnavailableError(
      BACKEND,
      "registerWasmKernelFills: the wasm backend's kernels are not registered; " +
        "import '@tensorflow/tfjs-backend-wasm' first",
    );
  }
  const fmaGradients = options.fmaGradients ?? state.fmaGradients;
  if (typeof fmaGradients !== 'boolean') {
    throw new InvalidArgumentError(
      'options.fmaGradients',
      `expected a boolean, got ${String(fmaGradients)}`,
    );
  }
  state.method = method;
  state.fmaGradients = fmaGradients;
  const names: string[] = [];
  if (install(filterGradConfig)) names.push(FILTER_GRAD);
  if (install(inputGradConfig)) names.push(INPUT_GRAD);
  return names;
}

/**
 * Removes the kernels {@link registerWasmKernelFills} installed and restores the stock ones it
 * replaced (for benchmarks and tests comparing against stock tfjs-backend-wasm).
 *
 * @returns names of the kernels it removed.
 */
export function unregisterWasmKernelFills(): string[] {
  clearFilterCache();
  const names: string[] = [];
  for (const name of [FILTER_GRAD, INPUT_GRAD]) {
    if (!isOurs(tf.getKernel(name, BACKEND))) continue;
    tf.unregisterKernel(name, BACKEND);
    const stock = state.stock.get(name);
    if (stock !== undefined) {
      tf.registerKernel(stock);
      state.stock.delete(name);
    }
    names.push(name);
  }
  return names;
}
