// A pthread worker of tfjs's threaded SIMD wasm build under Node's worker_threads, started by
// @ebmjs/tensor-backend (src/wasm-threads.ts). It runs tfjs's own worker script, which tfjs ships
// as a string for a browser Blob: as in tfjs, the "\n" escapes have to survive the evaluation.
// A direct eval, so that the script sees this module's `require` and `__filename`.
const {
  wasmWorkerContents,
} = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
// biome-ignore lint/security/noGlobalEval: running tfjs's worker script is this file's job
eval(wasmWorkerContents.replace(/\n/g, '\\n'));
