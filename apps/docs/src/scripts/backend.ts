// The single place the live pages get their TensorFlow.js backend from: `initBackend` of
// @ebmjs/tensor-backend. In a browser bundle the optional backend packages are imported here, so
// that `initBackend` finds them registered, and the wasm binaries are served by
// config/tfjs-wasm.mjs at WASM_PATH.
import { type BackendInfo, type BackendName, initBackend } from '@ebmjs/tensor-backend';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { type BackendInfo, type BackendName, initBackend };

/** Where config/tfjs-wasm.mjs serves the tfjs `.wasm` binaries. */
export const WASM_PATH = `${import.meta.env.BASE_URL.replace(/\/?$/, '/')}tfjs-wasm/`;

// initBackend also passes `wasmPaths` on, but it loads the wasm module through a dynamic import
// that a browser cannot resolve by bare name; setting the paths here covers that case.
setWasmPaths(WASM_PATH);

const KNOWN: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The backend asked for with `?backend=...` in the page address, if any (validated by initBackend). */
export function backendFromQuery(): BackendName | undefined {
  const q = new URLSearchParams(location.search).get('backend');
  return q ? (q as BackendName) : undefined;
}

/**
 * Backend for the live demos: `?backend=...` if given, else wasm first. The demos run many small
 * ops on tensors of a few thousand numbers, where wasm (or the plain JS cpu backend) beats WebGL
 * and WebGPU, whose per-op dispatch and read-back costs dominate at that size.
 */
export function startDemoBackend(): Promise<BackendInfo> {
  const forced = backendFromQuery();
  const order: BackendName[] = forced ? [forced] : ['wasm', 'webgl', 'cpu'];
  if (forced && !KNOWN.includes(forced)) {
    return Promise.reject(new Error(`unknown backend ${JSON.stringify(forced)} in the address`));
  }
  return initBackend({ backend: order, wasmPaths: WASM_PATH });
}
