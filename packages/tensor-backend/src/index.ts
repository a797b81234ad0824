/**
 * `@ebmjs/tensor-backend`: the layer under every ebmjs package.
 *
 * - {@link initBackend}: pick and initialise the best tfjs backend (kernel fills included).
 * - {@link conv2dBias}: convolution + bias in one kernel, with a lazy any-order gradient.
 * - Higher-order-correct activations: {@link sigmoid}, {@link swish}, {@link softplus},
 *   {@link logSigmoid}, {@link tanh}, {@link exp}, {@link elu}.
 * - Seeded random streams: {@link createRng}.
 * - Typed errors ({@link EbmError} and subclasses) and argument checks.
 * - {@link gradCheck}: finite-difference gradient checking (also in `./testing` with a leak guard).
 *
 * @packageDocumentation
 */
export {
  applyKernelFills,
  type BackendInfo,
  type BackendName,
  type ConvKernels,
  type InitBackendOptions,
  initBackend,
  isNode,
  registerKernelFill,
} from './backend.js';
export { conv2dBias } from './conv.js';
export * from './errors.js';
export { type GradCheckOptions, type GradCheckResult, gradCheck } from './gradcheck.js';
export { loadNativeKernels, nativeKernelsStatus } from './kernels/native-kernels.js';
export {
  registerWasmActivationKernels,
  unregisterWasmActivationKernels,
} from './kernels/wasm-activations.js';
export {
  type ConvVariant,
  convVariantAvailable,
  enableRelaxedSimd,
  registerWasmFmaConvKernels,
  relaxedSimdAvailable,
  setFmaConvThreads,
  unregisterWasmFmaConvKernels,
  wasmConvVariant,
  wasmFmaConvActive,
} from './kernels/wasm-conv-fma.js';
export {
  registerWasmKernelFills,
  unregisterWasmKernelFills,
  type WasmInputGradMethod,
  type WasmKernelFillOptions,
} from './kernels/wasm-conv-grads.js';
export { registerWasmMatMulKernel, unregisterWasmMatMulKernel } from './kernels/wasm-matmul.js';
export {
  RANDOM_NORMAL_KERNEL,
  type RandomNormalAttrs,
  registerWasmRandomKernels,
  unregisterWasmRandomKernels,
} from './kernels/wasm-random.js';
export {
  registerWasmReduceKernels,
  unregisterWasmReduceKernels,
} from './kernels/wasm-reduce.js';
export {
  registerWasmSgldKernel,
  SGLD_UPDATE_KERNEL,
  type SgldUpdateAttrs,
  unregisterWasmSgldKernel,
} from './kernels/wasm-sgld.js';
export {
  registerWasmZeroCopyKernels,
  unregisterWasmZeroCopyKernels,
} from './kernels/wasm-zero-copy.js';
export { registerWebglFusedKernels, unregisterWebglFusedKernels } from './kernels/webgl-fused.js';
export { nodeModule } from './node-module.js';
export {
  type ActivationName,
  activations,
  elu,
  exp,
  logSigmoid,
  sigmoid,
  softplus,
  swish,
  tanh,
} from './ops.js';
export { normalArray, uniformArray } from './random-arrays.js';
export { createRng, Rng, type RngState, type SeedOrRng, toRng } from './rng.js';
export { type SgldUpdateOptions, sgldUpdate } from './sgld-update.js';
export {
  assertFinite,
  assertInRange,
  assertInteger,
  assertNumber,
  assertOneOf,
  assertPositive,
  assertRank,
  assertShape,
  assertTensor,
} from './validate.js';
export {
  MAX_WASM_THREADS,
  registeredWasmThreads,
  registerNodeWasmThreads,
  wasmThreadCount,
} from './wasm-threads.js';
