/**
 * Backend selection: picks and initialises the best tfjs backend available, or the one asked for.
 *
 * Node order: `tensorflow` (from `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, if they
 * resolve) > `wasm` > `cpu`. Browser order: `webgpu` > `webgl` > `wasm` > `cpu`. Optional backend
 * packages are imported dynamically, so an app that never installs them never pays for them; in a
 * browser bundle import the backend package yourself (`import '@tensorflow/tfjs-backend-wasm'`)
 * and `initBackend` finds it registered.
 *
 * @module backend
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, InvalidArgumentError, UnsupportedError } from './errors.js';
import { loadNativeKernels, nativeKernelsStatus } from './kernels/native-kernels.js';
import { registerWasmActivationKernels } from './kernels/wasm-activations.js';
import {
  type ConvVariant,
  convVariantAvailable,
  enableRelaxedSimd,
  registerWasmFmaConvKernels,
  relaxedSimdAvailable,
  setFmaConvThreads,
  unregisterWasmFmaConvKernels,
  wasmConvVariant,
} from './kernels/wasm-conv-fma.js';
import { registerWasmKernelFills } from './kernels/wasm-conv-grads.js';
import { registerWasmMatMulKernel } from './kernels/wasm-matmul.js';
import { registerWasmRandomKernels } from './kernels/wasm-random.js';
import { registerWasmReduceKernels } from './kernels/wasm-reduce.js';
import { registerWasmSgldKernel } from './kernels/wasm-sgld.js';
import { registerWasmZeroCopyKernels } from './kernels/wasm-zero-copy.js';
import { registerWebglFusedKernels } from './kernels/webgl-fused.js';
import { isNode, nodeEnv } from './node-module.js';
import {
  checkThreads,
  defaultWasmThreads,
  isThreadedWasmRegistered,
  registeredWasmThreads,
  registerNodeWasmThreads,
  wasmThreadCount,
} from './wasm-threads.js';

/** wasm convolution kernels: ebmjs's direct ones or tfjs's XNNPACK (see {@link InitBackendOptions}). */
export type ConvKernels = 'ebmjs' | 'xnnpack';

/** Backends ebmjs knows how to load. */
export type BackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

const KNOWN: readonly BackendName[] = ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** Where each backend comes from, for dynamic import and for install hints. */
const MODULES: Record<BackendName, string[]> = {
  tensorflow: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  webgpu: ['@tensorflow/tfjs-backend-webgpu'],
  webgl: [],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  cpu: [],
};

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /**
   * Backend to use, or an ordered list to try. Defaults to `process.env.EBMJS_BACKEND` in Node,
   * else the platform's best-first order. An explicit single choice that cannot be loaded throws.
   */
  backend?: BackendName | BackendName[];
  /** Register ebmjs's kernel fills for the chosen backend (default true). */
  kernelFills?: boolean;
  /** Browser only: where the wasm backend's `.wasm` files are served (passed to `setWasmPaths`). */
  wasmPaths?: string;
  /**
   * wasm in Node: XNNPACK threads (1 to 8). Defaults to `process.env.EBMJS_WASM_THREADS`, else
   * half the CPUs available (as tfjs does in browsers: one thread on a 2-CPU machine); 1 is
   * tfjs's stock single-threaded build. More threads help on an otherwise idle machine and hurt
   * when other processes compete for the cores (the pool's threads spin while they wait); results
   * are the same for any count. A wasm backend that is already running keeps its thread count
   * unless this (or the variable) asks for another one, in which case it is rebuilt and its
   * tensors are disposed. Browsers use tfjs's own choice (threads only on cross-origin-isolated
   * pages, half the CPUs). With the native convolutions (see `nativeKernels`) tfjs runs its
   * single-threaded build and this is the convolutions' thread count.
   */
  threads?: number;
  /**
   * wasm: which kernels run `Conv2D`/`FusedConv2D` (and, through ebmjs's gradient fills, the
   * convolution gradients). `'ebmjs'`: ebmjs's direct convolutions (kernels/wasm-conv-fma), with
   * fused multiply-adds where relaxed SIMD is on (see `relaxedSimd`), else with a multiply and an
   * add; `'xnnpack'`: tfjs's. Defaults to `process.env.EBMJS_WASM_CONV` in Node, else `'ebmjs'`
   * when the backend runs one thread and `'xnnpack'` with more (XNNPACK's pool runs them; ebmjs's
   * kernels on helper threads beside it measured no faster on 2 CPUs). `'ebmjs'` asked for with
   * more threads: in Node they run on helper threads beside a 1-thread XNNPACK pool, in browsers
   * on one thread. Results differ between the choices by float rounding only, and not with the
   * thread count.
   */
  convKernels?: ConvKernels;
  /**
   * wasm: whether ebmjs's convolutions (see `convKernels`) use relaxed SIMD's fused multiply-adds
   * (1.3-1.5x faster than with a multiply and an add here). Defaults to
   * `process.env.EBMJS_WASM_RELAXED_SIMD` (`1`/`0`) in Node, else: where this engine compiles
   * relaxed SIMD as it is (Chrome/Edge 114+, Node 22+). `true`: in Node 20 after turning on V8's
   * `--experimental-wasm-relaxed-simd` for the process, and ebmjs's convolutions with any thread
   * count unless `convKernels` says otherwise; throws an {@link UnsupportedError} where relaxed
   * SIMD cannot be had. `false`: the multiply-add kernels.
   */
  relaxedSimd?: boolean;
  /**
   * wasm in Node: whether ebmjs's convolutions run on the native kernels of the optional
   * dependency `@ebmjs/native-kernels` (C built on install: AVX-512, AVX2 or NEON vectors with fused
   * multiply-adds, whatever the JavaScript engine supports; per training iteration about 1.65x
   * faster than the wasm FMA kernels here). They run on tfjs's single-threaded wasm build, with
   * helper threads of their own for `threads` > 1 (results do not depend on the count). Defaults
   * to `process.env.EBMJS_NATIVE_KERNELS` (`1`/`0`), else on where the addon loads unless
   * `relaxedSimd` or `convKernels: 'xnnpack'` asks for a wasm kernel. `true` throws an
   * {@link UnsupportedError} where they cannot run (not installed or not built, browsers, another
   * backend, `convKernels: 'xnnpack'`).
   */
  nativeKernels?: boolean;
}

/** What {@link initBackend} chose. */
export interface BackendInfo {
  name: BackendName;
  platform: 'node' | 'browser';
  /** wasm: whether SIMD is in use. */
  simd?: boolean;
  /** wasm: whether it runs on more than one thread. */
  threads?: boolean;
  /**
   * wasm: the number of threads it computes on (Node: the registered count; XNNPACK's pool may
   * keep one of them when the FMA convolutions run on helper threads, see `relaxedSimd`; with the
   * native convolutions, their thread count beside tfjs's single-threaded build).
   */
  threadCount?: number;
  /**
   * wasm: whether tfjs's multi-threaded build is loaded (Node: `threads` > 1 asked for; browsers:
   * a cross-origin-isolated page). Its pool may still have one thread: tfjs sizes it at half the
   * CPUs in browsers.
   */
  threadedBuild?: boolean;
  /** wasm: which convolutions run (see the option). */
  convKernels?: ConvKernels;
  /** wasm: whether ebmjs's convolutions run with fused multiply-adds (relaxed SIMD; see the option). */
  relaxedSimd?: boolean;
  /**
   * wasm: which of ebmjs's convolution kernels run: `'native'` (see `nativeKernels`), `'fma'` or
   * `'muladd'` (the wasm modules); absent with XNNPACK's.
   */
  convVariant?: ConvVariant;
  /** Kernels ebmjs registered or replaced for this backend. */
  kernelFills: string[];
  /** Backends tried before this one, with why they were passed over. */
  skipped: { name: BackendName; reason: string }[];
}

// isNode lives in node-module.ts (the wasm kernels use it too); exported from here as before.
export { isNode };

// wasm lacks Conv2DBackpropFilter, has a slow Conv2DBackpropInput and slow transposed
// BatchMatMul, copies on Identity and same-dtype Cast, transposes before summing leading axes,
// and runs swish as 6 scalar passes; normal draws and the SGLD update run in wasm too (same bits
// as the JS generator and the stock kernels): see kernels/.
const kernelFills = new Map<string, () => string[]>([
  [
    'wasm',
    () => [
      ...registerWasmKernelFills(),
      ...registerWasmZeroCopyKernels(),
      ...registerWasmMatMulKernel(),
      ...registerWasmActivationKernels(),
      ...registerWasmRandomKernels(),
      ...registerWasmSgldKernel(),
      ...registerWasmReduceKernels(),
    ],
  ],
  // webgl: the SGLD update and swish's gradient in one shader pass each (kernels/webgl-fused)
  ['webgl', () => registerWebglFusedKernels()],
]);

/**
 * Registers a function that installs kernel fills for a backend; {@link initBackend} calls it when
 * that backend is chosen. Used internally for wasm; open so that other packages can add fills.
 */
export function registerKernelFill(backend: string, install: () => string[]): void {
  kernelFills.set(backend, install);
}

/** Installs the registered kernel fills for a backend (idempotent) and lists what they touched. */
export function applyKernelFills(backend: string): string[] {
  return kernelFills.get(backend)?.() ?? [];
}

async function importFirst(specifiers: string[]): Promise<{ module?: unknown; errors: string[] }> {
  const errors: string[] = [];
  for (const spec of specifiers) {
    try {
      // A variable specifier keeps bundlers from resolving optional peers at build time.
      return { module: await import(/* @vite-ignore */ spec), errors };
    } catch (e) {
      errors.push(`${spec}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { errors };
}

function installHint(name: BackendName): string {
  switch (name) {
    case 'tensorflow':
      return 'install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu) next to @tensorflow/tfjs';
    case 'wasm':
      return 'install @tensorflow/tfjs-backend-wasm (npm i @tensorflow/tfjs-backend-wasm) and, in a browser, import it before initBackend()';
    case 'webgpu':
      return 'install @tensorflow/tfjs-backend-webgpu, import it, and use a browser with WebGPU enabled';
    case 'webgl':
      return 'webgl is available only in browsers with WebGL enabled';
    case 'cpu':
      return 'the cpu backend ships with @tensorflow/tfjs';
  }
}

function parseRequest(options: InitBackendOptions): BackendName[] | undefined {
  let req: unknown = options.backend;
  if (req === undefined) req = nodeEnv('EBMJS_BACKEND');
  if (req === undefined || req === '') return undefined;
  const list = Array.isArray(req) ? req : [req];
  if (list.length === 0) throw new InvalidArgumentError('options.backend', 'must not be empty');
  for (const n of list) {
    if (!KNOWN.includes(n as BackendName)) {
      throw new InvalidArgumentError(
        'options.backend',
        `unknown backend ${JSON.stringify(n)}; expected one of ${KNOWN.join(', ')}`,
      );
    }
  }
  return list as BackendName[];
}

/** The explicitly requested wasm thread count (option, else `EBMJS_WASM_THREADS`), checked. */
function requestedThreads(options: InitBackendOptions): number | undefined {
  if (options.threads !== undefined) return checkThreads(options.threads);
  const env = nodeEnv('EBMJS_WASM_THREADS');
  return env === undefined ? undefined : checkThreads(Number(env), 'EBMJS_WASM_THREADS');
}

/**
 * An explicit on/off choice: option `name`'s value if given (a boolean), else environment variable
 * `variable` (`1`/`0`/`true`/`false`); checked, `undefined` if neither says.
 */
function requestedSwitch(value: unknown, name: string, variable: string): boolean | undefined {
  if (value !== undefined) {
    if (typeof value !== 'boolean') {
      throw new InvalidArgumentError(`options.${name}`, `must be a boolean, got ${String(value)}`);
    }
    return value;
  }
  const env = nodeEnv(variable);
  if (env === undefined) return undefined;
  const t = env.toLowerCase();
  if (t === '1' || t === 'true') return true;
  if (t === '0' || t === 'false') return false;
  throw new InvalidArgumentError(
    variable,
    `must be 1, 0, true or false, got ${JSON.stringify(env)}`,
  );
}

/** The explicit relaxed-SIMD choice (option, else `EBMJS_WASM_RELAXED_SIMD`), checked. */
const requestedRelaxedSimd = (options: InitBackendOptions) =>
  requestedSwitch(options.relaxedSimd, 'relaxedSimd', 'EBMJS_WASM_RELAXED_SIMD');

/** The explicit native-kernel choice (option, else `EBMJS_NATIVE_KERNELS`), checked. */
const requestedNativeKernels = (options: InitBackendOptions) =>
  requestedSwitch(options.nativeKernels, 'nativeKernels', 'EBMJS_NATIVE_KERNELS');

/**
 * Whether the native kernels can run as asked (`want`, see the option): loads the addon. By
 * default only where nothing else was asked for (`relaxedSimd`, XNNPACK's convolutions) and no
 * running threaded backend would have to be rebuilt (`keepThreaded`, see `threads`).
 */
async function nativePossible(
  want: boolean | undefined,
  relaxedSimd: boolean | undefined,
  convKernels: ConvKernels | undefined,
  keepThreaded: boolean,
): Promise<boolean> {
  if (want === false) return false;
  if (
    want === undefined &&
    (relaxedSimd !== undefined || convKernels === 'xnnpack' || keepThreaded)
  ) {
    return false;
  }
  const loaded = await loadNativeKernels();
  if (want === true && !loaded) {
    throw new UnsupportedError(`nativeKernels: ${nativeKernelsStatus().reason}`);
  }
  return loaded;
}

/** The explicit convolution choice (option, else `EBMJS_WASM_CONV`), checked. */
function requestedConvKernels(options: InitBackendOptions): ConvKernels | undefined {
  const check = (v: unknown, where: string): ConvKernels => {
    if (v === 'ebmjs' || v === 'xnnpack') return v;
    throw new InvalidArgumentError(where, `must be 'ebmjs' or 'xnnpack', got ${JSON.stringify(v)}`);
  };
  if (options.convKernels !== undefined) return check(options.convKernels, 'options.convKernels');
  const env = nodeEnv('EBMJS_WASM_CONV');
  return env === undefined ? undefined : check(env, 'EBMJS_WASM_CONV');
}

/**
 * Whether the FMA convolutions can run as asked (`want`, see the option); decided before the
 * backend starts, since in Node they change its XNNPACK pool. `true` turns relaxed SIMD on first.
 */
async function fmaPossible(want: boolean | undefined): Promise<boolean> {
  if (want === true) {
    if (!(await enableRelaxedSimd())) {
      throw new UnsupportedError(
        'relaxedSimd: this JavaScript engine cannot compile relaxed-SIMD wasm (needs V8 11.3+: Chrome/Edge 114+ or Node 20+)',
      );
    }
    return true;
  }
  return want === false ? false : relaxedSimdAvailable();
}

/**
 * Registers ebmjs's convolutions (the FMA variant if `fma`) and their threads, or puts XNNPACK's
 * back, as `convKernels` says (see the options; `explicit` is the asked-for choice).
 */
async function applyConvKernels(
  explicit: ConvKernels | undefined,
  fma: boolean,
  threadCount: number,
  native: boolean,
): Promise<string[]> {
  // By default with one thread only: on 2 CPUs here, 2 FMA threads (a helper thread beside a
  // 1-thread XNNPACK pool) measured no faster than XNNPACK's 2 threads (bench/NOTES.md, perf
  // log 11); asked for explicitly, they run with any thread count. The native kernels run with
  // any count (threads of their own beside tfjs's single-threaded build).
  const variant: ConvVariant = native ? 'native' : fma ? 'fma' : 'muladd';
  const use =
    explicit ??
    (native || (threadCount === 1 && convVariantAvailable(variant)) ? 'ebmjs' : 'xnnpack');
  if (use === 'xnnpack') {
    unregisterWasmFmaConvKernels();
    await setFmaConvThreads(tf.backend(), 1);
    return [];
  }
  const done = registerWasmFmaConvKernels(variant);
  await setFmaConvThreads(tf.backend(), threadCount);
  return done;
}

/** Starts the wasm backend; in Node first registers the threaded build as asked (see options). */
async function startWasm(
  platform: 'node' | 'browser',
  threads: number | undefined,
  ownConvThreads: boolean,
): Promise<void> {
  if (platform === 'node') {
    const live = wasmThreadCount();
    if (threads !== undefined || live === undefined) {
      const want = threads ?? (await defaultWasmThreads());
      // With ebmjs's convolutions on several threads, XNNPACK keeps one: its pool's threads spin
      // after each of its ops and would take the cores from the convolutions' helper threads.
      await registerNodeWasmThreads(want, ownConvThreads ? 1 : want);
      if (threads === undefined && want > 1) {
        // Default threads: if the threaded build cannot start here, fall back to one thread.
        try {
          if ((await tf.setBackend('wasm')) && tf.getBackend() === 'wasm') return;
        } catch {
          /* fall through */
        }
        await registerNodeWasmThreads(1);
      }
    }
  }
  if (await tf.setBackend('wasm')) await tf.ready();
}

/**
 * Picks, loads and initialises a tfjs backend, registers ebmjs's kernel fills for it, and says
 * what it chose.
 *
 * @example
 * ```ts
 * const info = await initBackend();                 // best available
 * await initBackend({ backend: 'wasm' });           // explicit: throws if not installed
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const platform = isNode() ? 'node' : 'browser';
  const requested = parseRequest(options);
  const threads = requestedThreads(options);
  const relaxedSimd = requestedRelaxedSimd(options);
  // relaxedSimd: true asks for ebmjs's (FMA) convolutions unless convKernels says otherwise
  const convKernels = requestedConvKernels(options) ?? (relaxedSimd === true ? 'ebmjs' : undefined);
  const nativeKernels = requestedNativeKernels(options);
  if (nativeKernels === true && convKernels === 'xnnpack') {
    throw new UnsupportedError(
      "nativeKernels: the native kernels are ebmjs's convolutions (convKernels: 'xnnpack' asked for)",
    );
  }
  const explicit = requested !== undefined && requested.length === 1;
  const order: BackendName[] =
    requested ??
    (platform === 'node' ? ['tensorflow', 'wasm', 'cpu'] : ['webgpu', 'webgl', 'wasm', 'cpu']);
  const skipped: BackendInfo['skipped'] = [];

  for (const name of order) {
    if (!tf.findBackendFactory(name)) {
      const mods = MODULES[name];
      const { module, errors } = mods.length ? await importFirst(mods) : { errors: [] };
      if (!module || !tf.findBackendFactory(name)) {
        const reason = errors.length ? `not installed (${errors.join('; ')})` : 'not available';
        if (explicit) {
          throw new BackendUnavailableError(
            name,
            `backend "${name}" is ${reason}: ${installHint(name)}`,
          );
        }
        skipped.push({ name, reason });
        continue;
      }
    }
    if (name === 'wasm' && options.wasmPaths && platform === 'browser') {
      const wasm = (await importFirst(MODULES.wasm)).module as
        | { setWasmPaths?: (p: string) => void }
        | undefined;
      wasm?.setWasmPaths?.(options.wasmPaths);
    }
    // before the backend starts (it sets the XNNPACK pool in Node); may throw for relaxedSimd: true
    const fma = name === 'wasm' ? await fmaPossible(relaxedSimd) : false;
    const keepThreaded = threads === undefined && (wasmThreadCount() ?? 1) > 1;
    const native =
      name === 'wasm' && platform === 'node'
        ? await nativePossible(nativeKernels, relaxedSimd, convKernels, keepThreaded)
        : false;
    let ok = false;
    let failure = '';
    try {
      if (name === 'wasm') {
        // the native kernels run on tfjs's single-threaded build (a plain heap) with threads of
        // their own
        await startWasm(platform, native ? 1 : threads, convKernels === 'ebmjs');
        ok = tf.getBackend() === 'wasm';
      } else {
        ok = await tf.setBackend(name);
        if (ok) await tf.ready();
      }
    } catch (e) {
      failure = (e as Error).message;
      ok = false;
    }
    // setBackend returns false and keeps the old backend when initialisation fails.
    if (!ok || tf.getBackend() !== name) {
      const reason = `failed to initialise${failure ? `: ${failure}` : ''}`;
      if (explicit) {
        throw new BackendUnavailableError(
          name,
          `backend "${name}" ${reason}: ${installHint(name)}`,
        );
      }
      skipped.push({ name, reason });
      continue;
    }
    if (nativeKernels === true && !native) {
      throw new UnsupportedError(
        `nativeKernels: the native kernels run in Node on the wasm backend (got ${name} in ${platform === 'node' ? 'Node' : 'a browser'})`,
      );
    }
    const filled = options.kernelFills === false ? [] : applyKernelFills(name);
    const info: BackendInfo = { name, platform, kernelFills: filled, skipped };
    if (name === 'wasm') {
      info.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      info.threadCount =
        platform === 'node' && isThreadedWasmRegistered()
          ? registeredWasmThreads()
          : (wasmThreadCount() ?? 1);
      if (options.kernelFills !== false) {
        // the native kernels' threads: as asked, else the wasm default (half the CPUs)
        const convThreads = native ? (threads ?? (await defaultWasmThreads())) : info.threadCount;
        filled.push(...(await applyConvKernels(convKernels, fma, convThreads, native)));
        if (native) info.threadCount = nativeKernelsStatus().threads ?? convThreads;
      }
      info.threads = info.threadCount > 1;
      const variant = wasmConvVariant();
      info.convKernels = variant === null ? 'xnnpack' : 'ebmjs';
      info.relaxedSimd = variant === 'fma';
      if (variant !== null) info.convVariant = variant;
      info.threadedBuild =
        platform === 'node'
          ? isThreadedWasmRegistered()
          : Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    }
    return info;
  }
  throw new BackendUnavailableError(
    order.join(','),
    `no backend could be initialised (tried ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`,
  );
}
