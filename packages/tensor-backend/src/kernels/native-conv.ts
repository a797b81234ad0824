/**
 * The native convolution kernels of `@ebmjs/native-conv` as a variant of ebmjs's wasm
 * convolutions (kernels/wasm-conv-fma), Node only.
 *
 * The addon exports the wasm convolution module's five functions with the same arguments, plus
 * the heap's `ArrayBuffer` first: the filter packing and caching, padding scratch and sub-pixel
 * phases stay in kernels/wasm-conv-fma, only the arithmetic runs natively (8-float vectors,
 * fused multiply-adds where the CPU has them; no JavaScript engine flag needed). Loaded with a
 * dynamic import, so browser bundles never see it; an optional dependency, so a machine without
 * a C compiler keeps the wasm kernels.
 *
 * @module kernels/native-conv
 */
import { UnsupportedError } from '../errors.js';
import { isNode } from '../node-module.js';
import { heapMemory, isShared, processState, type WasmHeapBackend } from './shared.js';

type Kernel = (heap: ArrayBuffer, ...args: number[]) => void;

/** What `@ebmjs/native-conv`'s `loadNativeConv()` returns. */
interface NativeConvAddon {
  pad: Kernel;
  conv: Kernel;
  conv4: Kernel;
  conv1: Kernel;
  fgrad: Kernel;
  isa(): string;
  setThreads(n: number): number;
}

const NAMES = ['pad', 'conv', 'conv4', 'conv1', 'fgrad'] as const;

const state = processState<{
  tried: boolean;
  addon: NativeConvAddon | null;
  reason: string;
  threads: number;
}>('native-conv', () => ({
  tried: false,
  addon: null,
  reason: 'not loaded yet (see loadNativeConvKernels)',
  threads: 1,
}));

/**
 * Loads `@ebmjs/native-conv`'s addon (once per process; Node only).
 *
 * @returns whether the native kernels can run here; {@link nativeConvStatus} says why not.
 */
export async function loadNativeConvKernels(): Promise<boolean> {
  if (state.tried) return state.addon !== null;
  state.tried = true;
  if (!isNode()) {
    state.reason = 'native kernels run in Node only';
    return false;
  }
  const specifier = '@ebmjs/native-conv';
  try {
    // A variable specifier keeps bundlers from resolving this Node-only optional dependency.
    const mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as {
      loadNativeConv(): NativeConvAddon;
    };
    const addon = mod.loadNativeConv();
    for (const name of NAMES) {
      if (typeof addon[name] !== 'function') throw new Error(`the addon has no '${name}'`);
    }
    state.addon = addon;
    state.reason = '';
  } catch (e) {
    state.reason = (e as Error).message.split('\n')[0] ?? String(e);
  }
  return state.addon !== null;
}

/**
 * Whether the native kernels are loaded, the instruction set they run with (`'x86-64-v4'`,
 * `'x86-64-v3'`, `'aarch64'`, `'baseline'`) and on how many threads, or why they are not
 * available.
 */
export function nativeConvStatus(): {
  loaded: boolean;
  isa?: string;
  threads?: number;
  reason?: string;
} {
  return state.addon !== null
    ? { loaded: true, isa: state.addon.isa(), threads: state.threads }
    : { loaded: false, reason: state.reason };
}

const bound = new WeakMap<object, Record<string, (...args: number[]) => void>>();

/**
 * Runs the native kernels on `threads` threads (their own helper threads, beside tfjs's
 * single-threaded wasm build; results do not depend on the count). A no-op returning 1 when the
 * addon is not loaded.
 *
 * @returns the thread count now in use.
 */
export function setNativeConvThreads(threads: number): number {
  if (state.addon === null) return 1;
  state.threads = state.addon.setThreads(threads);
  return state.threads;
}

/** The five kernels bound to a wasm backend's heap (read at each call: the heap may grow). */
export function nativeConvExports<T>(be: WasmHeapBackend): T {
  const cached = bound.get(be.wasm);
  if (cached !== undefined) return cached as T;
  const addon = state.addon;
  if (addon === null) {
    throw new UnsupportedError(`native convolution kernels: ${state.reason}`);
  }
  const memory = heapMemory(be);
  if (isShared(memory)) {
    throw new UnsupportedError(
      "native convolution kernels: they need tfjs's single-threaded wasm build (threads: 1)",
    );
  }
  const kernels: Record<string, (...args: number[]) => void> = {};
  for (const name of NAMES) {
    const f = addon[name];
    kernels[name] = (...args) => f(memory.buffer as ArrayBuffer, ...args);
  }
  bound.set(be.wasm, kernels);
  return kernels as T;
}
