/**
 * The native kernels of `@ebmjs/native-kernels`, Node only: a variant of ebmjs's wasm
 * convolutions (kernels/wasm-conv-fma) and of its activation kernels (kernels/wasm-activations).
 *
 * The addon exports the wasm convolution module's five functions and the activation module's
 * three with the same arguments, plus the heap's `ArrayBuffer` first: the filter packing and
 * caching, padding scratch and sub-pixel phases stay in kernels/wasm-conv-fma, only the
 * arithmetic runs natively (8- and 16-float vectors, fused multiply-adds where the CPU has them,
 * helper threads of their own; no JavaScript engine flag needed). Loaded with a dynamic import, so
 * browser bundles never see it; an optional dependency, so a machine without a C compiler keeps
 * the wasm kernels. The activations follow the convolutions: native while the `'native'`
 * convolution variant is registered.
 *
 * @module kernels/native-kernels
 */
import { UnsupportedError } from '../errors.js';
import { isNode } from '../node-module.js';
import { heapMemory, isShared, processState, type WasmHeapBackend } from './shared.js';

type Kernel = (heap: ArrayBuffer, ...args: number[]) => void;

/** What `@ebmjs/native-kernels`'s `loadAddon()` returns. */
interface NativeKernelsAddon {
  pad: Kernel;
  conv: Kernel;
  conv4: Kernel;
  conv1: Kernel;
  fgrad: Kernel;
  sigmoid: Kernel;
  swish: Kernel;
  swish_grad: Kernel;
  isa(): string;
  setThreads(n: number): number;
}

/** The convolution module's functions (kernels/wasm-conv-fma), and the activation module's. */
const CONV_NAMES = ['pad', 'conv', 'conv4', 'conv1', 'fgrad'] as const;
const ACTIVATION_NAMES = ['sigmoid', 'swish', 'swish_grad'] as const;

const state = processState<{
  tried: boolean;
  addon: NativeKernelsAddon | null;
  reason: string;
  threads: number;
  active: boolean;
}>('native-kernels', () => ({
  tried: false,
  addon: null,
  reason: 'not loaded yet (see loadNativeKernels)',
  threads: 1,
  active: false,
}));

/**
 * Loads `@ebmjs/native-kernels`'s addon (once per process; Node only).
 *
 * @returns whether the native kernels can run here; {@link nativeKernelsStatus} says why not.
 */
export async function loadNativeKernels(): Promise<boolean> {
  if (state.tried) return state.addon !== null;
  state.tried = true;
  if (!isNode()) {
    state.reason = 'native kernels run in Node only';
    return false;
  }
  const specifier = '@ebmjs/native-kernels';
  try {
    // A variable specifier keeps bundlers from resolving this Node-only optional dependency.
    const mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as {
      loadAddon(): NativeKernelsAddon;
    };
    const addon = mod.loadAddon();
    for (const name of [...CONV_NAMES, ...ACTIVATION_NAMES]) {
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
export function nativeKernelsStatus(): {
  loaded: boolean;
  isa?: string;
  threads?: number;
  reason?: string;
} {
  return state.addon !== null
    ? { loaded: true, isa: state.addon.isa(), threads: state.threads }
    : { loaded: false, reason: state.reason };
}

/**
 * Runs the native kernels on `threads` threads (their own helper threads, beside tfjs's
 * single-threaded wasm build; results do not depend on the count). A no-op returning 1 when the
 * addon is not loaded.
 *
 * @returns the thread count now in use.
 */
export function setNativeKernelThreads(threads: number): number {
  if (state.addon === null) return 1;
  state.threads = state.addon.setThreads(threads);
  return state.threads;
}

/**
 * Whether the native kernels run: the `'native'` convolution variant is registered (see
 * kernels/wasm-conv-fma); the activation kernels (kernels/wasm-activations) follow it.
 */
export function nativeKernelsActive(): boolean {
  return state.active && state.addon !== null;
}

/** Called by kernels/wasm-conv-fma when its variant changes. */
export function setNativeKernelsActive(on: boolean): void {
  state.active = on;
}

type Bound = Record<string, (...args: number[]) => void>;
const bound = { conv: new WeakMap<object, Bound>(), activations: new WeakMap<object, Bound>() };

/** The convolution module's five functions, bound to a wasm backend's heap. */
export function nativeConvExports<T>(be: WasmHeapBackend): T {
  return bind(be, 'conv', CONV_NAMES) as T;
}

/** The activation module's three functions (sigmoid, swish, swish_grad), bound to a wasm backend's heap. */
export function nativeActivationExports<T>(be: WasmHeapBackend): T {
  return bind(be, 'activations', ACTIVATION_NAMES) as T;
}

/** The addon's `names` bound to `be`'s heap (its buffer read at each call: the heap may grow). */
function bind(
  be: WasmHeapBackend,
  kind: keyof typeof bound,
  names: readonly (keyof NativeKernelsAddon)[],
): Bound {
  const cached = bound[kind].get(be.wasm);
  if (cached !== undefined) return cached;
  const addon = state.addon;
  if (addon === null) {
    throw new UnsupportedError(`native kernels: ${state.reason}`);
  }
  const memory = heapMemory(be);
  if (isShared(memory)) {
    throw new UnsupportedError(
      "native kernels: they run on tfjs's single-threaded wasm build (a plain heap), not its threaded one",
    );
  }
  const kernels: Bound = {};
  for (const name of names) {
    const f = addon[name] as Kernel;
    kernels[name] = (...args) => f(memory.buffer as ArrayBuffer, ...args);
  }
  bound[kind].set(be.wasm, kernels);
  return kernels;
}
