/**
 * ebmjs's own elementwise kernels for the tfjs webgl backend (WebGL 2): `EbmSgldUpdate` (the SGLD
 * update, one shader pass instead of clip, multiply, subtract, clamp) and `EbmSwishGrad` (swish's
 * first-order gradient dy (s + y (1 - s)), one pass instead of subtract, multiply, add, multiply).
 * A Langevin step of the book's net on webgl runs about 50 shader passes; these two take 15 of
 * them away (tf.profile in Chromium, bench/NOTES.md perf log 19). Each pass is a draw call, a
 * texture allocation and, on a GPU, a dispatch whose fixed cost dominates at these sizes.
 *
 * The programs follow the layout of their inputs: packed (4 values per texel, tfjs's default
 * `WEBGL_PACK`) or unpacked, so no pack/unpack pass is added. NaN propagates as through the stock
 * kernels (GLSL's clamp of NaN is undefined, so NaN is selected explicitly). GPU arithmetic is not
 * bit-exact anyway (a shader compiler may fuse the multiply and subtract); the results agree with
 * the stock kernels' to float32 rounding. WebGL 1 keeps the stock kernels.
 *
 * @module kernels/webgl-fused
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import { kernelMark, registerOwnKernels, unregisterOwnKernels } from './shared.js';
import { SWISH_GRAD_KERNEL } from './wasm-activations.js';
import { SGLD_UPDATE_KERNEL, type SgldUpdateAttrs } from './wasm-sgld.js';

const BACKEND = 'webgl';
const NAMES = [SGLD_UPDATE_KERNEL, SWISH_GRAD_KERNEL] as const;

/** The part of tfjs-backend-webgl's `MathBackendWebGL` the kernels use. */
interface WebGLBackendLike {
  runWebGLProgram(
    program: object,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    customUniformValues?: number[][],
  ): tf.TensorInfo;
}

/**
 * Runs the elementwise shader `body` over float32 inputs of one shape, bound to the GLSL locals
 * `locals` (one per input, `vec4` when packed, else `float`), with float uniforms `uniforms`;
 * `body(T)` gets the value type and must call `setOutput`.
 */
function elementwise(
  kernel: string,
  backend: WebGLBackendLike,
  inputs: tf.TensorInfo[],
  locals: string[],
  uniforms: Record<string, number>,
  body: (T: 'vec4' | 'float') => string,
): tf.TensorInfo {
  const shape = (inputs[0] as tf.TensorInfo).shape;
  for (const t of inputs) {
    if (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, shape)) {
      throw new ShapeError(
        kernel,
        `inputs must be float32 of one shape, got ${inputs.map((i) => `${i.dtype} [${i.shape}]`).join(', ')}`,
      );
    }
  }
  const packed = tf.env().getBool('WEBGL_PACK');
  const T = packed ? 'vec4' : 'float';
  const names = inputs.map((_, i) => String.fromCharCode(65 + i)); // A, B, C: tfjs's getAAtOutCoords
  const program = {
    variableNames: names,
    outputShape: shape.slice(),
    packedInputs: packed,
    packedOutput: packed,
    customUniforms: Object.keys(uniforms).map((name) => ({ name, type: 'float' })),
    userCode: `
      void main() {
        ${names.map((n, i) => `${T} ${locals[i]} = get${n}AtOutCoords();`).join('\n        ')}
        ${body(T)}
      }`,
  };
  return backend.runWebGLProgram(
    program,
    inputs,
    'float32',
    Object.values(uniforms).map((v) => [v]),
  );
}

/** GLSL for `b` where `cond`, else `a` (a bvec4 mix selects, so NaN in `a` or `b` stays put). */
const pick = (T: string, a: string, b: string, cond: string) =>
  T === 'vec4' ? `mix(${a}, ${b}, ${cond})` : `(${cond} ? ${b} : ${a})`;

const sgldUpdateKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { stepSize, gradClip, lo, hi } = attrs as unknown as SgldUpdateAttrs;
  // Infinite bounds stay out of the shader (a GPU may not keep inf in a uniform): flags instead.
  const has = (v: number) => (Number.isFinite(v) ? 1 : 0);
  const finite = (v: number) => (Number.isFinite(v) ? v : 0);
  return elementwise(
    SGLD_UPDATE_KERNEL,
    backend as unknown as WebGLBackendLike,
    [inputs['x'] as tf.TensorInfo, inputs['g'] as tf.TensorInfo],
    ['xv', 'gv'],
    {
      stepSize,
      gradClip: finite(gradClip),
      lo: finite(lo),
      hi: finite(hi),
      hasClip: has(gradClip),
      hasLo: has(lo),
      hasHi: has(hi),
    },
    (T) => `
        ${T} c = gv;
        if (hasClip > 0.5) c = ${pick(T, 'clamp(gv, -gradClip, gradClip)', 'gv', 'isnan(gv)')};
        ${T} y = xv - c * stepSize;
        if (hasLo > 0.5) y = ${pick(T, 'max(y, lo)', 'y', 'isnan(y)')};
        if (hasHi > 0.5) y = ${pick(T, 'min(y, hi)', 'y', 'isnan(y)')};
        setOutput(y);`,
  );
};

const swishGradKernel: tf.KernelFunc = ({ inputs, backend }) =>
  elementwise(
    SWISH_GRAD_KERNEL,
    backend as unknown as WebGLBackendLike,
    [inputs['dy'] as tf.TensorInfo, inputs['y'] as tf.TensorInfo, inputs['s'] as tf.TensorInfo],
    ['dyv', 'yv', 'sv'],
    {},
    () => 'setOutput(dyv * (sv + yv * (1.0 - sv)));',
  );

const { MARK, isOurs } = kernelMark('webgl-fused');

/**
 * Registers `EbmSgldUpdate` and `EbmSwishGrad` for webgl where it runs WebGL 2 (idempotent;
 * `initBackend` calls it when it picks webgl). @returns the names registered now.
 */
export function registerWebglFusedKernels(): string[] {
  // (findBackendFactory does not start the backend, findBackend would)
  if (!tf.findBackendFactory(BACKEND) || tf.env().getNumber('WEBGL_VERSION') !== 2) return [];
  return registerOwnKernels(
    { [SGLD_UPDATE_KERNEL]: sgldUpdateKernel, [SWISH_GRAD_KERNEL]: swishGradKernel },
    MARK,
    BACKEND,
  );
}

/** Removes them (then `sgldUpdate` and swish's gradient run the stock kernels). */
export function unregisterWebglFusedKernels(): string[] {
  return unregisterOwnKernels(NAMES, isOurs, BACKEND);
}
