/**
 * Native convolution kernels for `@ebmjs/tensor-backend`'s wasm backend in Node.
 *
 * The addon (native/conv.c, built by node-gyp on install) exports the same five functions as the
 * wasm convolution module of `@ebmjs/tensor-backend` (`pad`, `conv`, `conv4`, `conv1`, `fgrad`),
 * with the wasm heap's `ArrayBuffer` as an extra first argument: they read and write tfjs's heap
 * at the byte offsets the JavaScript side computes, with 8-float vectors and fused multiply-adds
 * where the CPU has them. Users do not call this package: `initBackend()` loads it when it is
 * installed and built (see its `nativeConv` option).
 *
 * @module @ebmjs/native-conv
 */
import { createRequire } from 'node:module';

/** A kernel of the addon: the heap, then the wasm module's int32 arguments (byte offsets and sizes). */
export type NativeKernel = (heap: ArrayBuffer, ...args: number[]) => void;

/** The addon's exports. */
export interface NativeConv {
  pad: NativeKernel;
  conv: NativeKernel;
  conv4: NativeKernel;
  conv1: NativeKernel;
  fgrad: NativeKernel;
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
export const ADDON_PATH = '../build/Release/ebmjs_conv.node';

let cached: { addon?: NativeConv; error?: Error } | undefined;

/**
 * Loads the addon (once).
 *
 * @throws Error if it was not built (no C compiler at install time, or `EBMJS_NATIVE_CONV_BUILD=0`),
 *   with the loader's reason.
 */
export function loadNativeConv(): NativeConv {
  if (cached === undefined) {
    try {
      cached = { addon: createRequire(import.meta.url)(ADDON_PATH) as NativeConv };
    } catch (cause) {
      cached = {
        error: new Error(
          `@ebmjs/native-conv: the native kernels are not built (${(cause as Error).message.split('\n')[0]}); run \`npm rebuild @ebmjs/native-conv\` with a C compiler installed`,
          { cause },
        ),
      };
    }
  }
  if (cached.addon === undefined) throw cached.error as Error;
  return cached.addon;
}
