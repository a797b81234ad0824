/**
 * Native kernels for `@ebmjs/tensor-backend`'s wasm backend in Node.
 *
 * The addon (native/*.c, built by node-gyp on install) exports the same functions as two wasm
 * modules of `@ebmjs/tensor-backend`, the convolutions (`pad`, `conv`, `conv4`, `conv1`, `fgrad`)
 * and the activations (`sigmoid`, `swish`, `swish_grad`), with the wasm heap's `ArrayBuffer` as an
 * extra first argument: they read and write tfjs's heap at the byte offsets the JavaScript side
 * computes, with 8- and 16-float vectors, fused multiply-adds where the CPU has them, and helper
 * threads of their own (`setThreads`). Users do not call this package: `initBackend()` loads it when it is
 * installed and built (see its `nativeKernels` option).
 *
 * @module @ebmjs/native-kernels
 */
import { createRequire } from 'node:module';

/** A kernel of the addon: the heap, then the wasm module's int32 arguments (byte offsets and sizes). */
export type NativeKernel = (heap: ArrayBuffer, ...args: number[]) => void;

/** The addon's exports. */
export interface NativeKernelsAddon {
  pad: NativeKernel;
  conv: NativeKernel;
  conv4: NativeKernel;
  conv1: NativeKernel;
  fgrad: NativeKernel;
  /** The activation module's (packages/tensor-backend/wat/activations.mjs): sigmoid, swish and its gradient. */
  sigmoid: NativeKernel;
  swish: NativeKernel;
  swish_grad: NativeKernel;
  /** The instruction set the kernels run with here: `'x86-64-v4'` (AVX-512), `'x86-64-v3'` (AVX2 + FMA), `'aarch64'` or `'baseline'`. */
  isa(): string;
  /**
   * Runs the kernels on `n` threads (1-16): the calling one and `n - 1` helpers, which spin for a
   * few hundred microseconds after a kernel and then sleep. Results do not depend on `n`.
   * @returns the thread count now in use.
   */
  setThreads(n: number): number;
}

/** The path of the addon this package loads. */
export const ADDON_PATH = '../build/Release/ebmjs_kernels.node';

let cached: { addon?: NativeKernelsAddon; error?: Error } | undefined;

/**
 * Loads the addon (once).
 *
 * @throws Error if it was not built (no C compiler at install time, or `EBMJS_NATIVE_KERNELS_BUILD=0`),
 *   with the loader's reason.
 */
export function loadAddon(): NativeKernelsAddon {
  if (cached === undefined) {
    try {
      cached = { addon: createRequire(import.meta.url)(ADDON_PATH) as NativeKernelsAddon };
    } catch (cause) {
      cached = {
        error: new Error(
          `@ebmjs/native-kernels: the native kernels are not built (${(cause as Error).message.split('\n')[0]}); run \`npm rebuild @ebmjs/native-kernels\` with a C compiler installed`,
          { cause },
        ),
      };
    }
  }
  if (cached.addon === undefined) throw cached.error as Error;
  return cached.addon;
}
