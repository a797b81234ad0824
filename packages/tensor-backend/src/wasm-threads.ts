/**
 * Multi-threaded tfjs wasm in Node.
 *
 * `@tensorflow/tfjs-backend-wasm` ships a threaded SIMD build (XNNPACK over a pthread pool) but
 * turns it off in Node (its `WASM_HAS_MULTITHREAD_SUPPORT` flag is `false` there) and, everywhere,
 * caps the pool at half of the logical cores, i.e. one thread on a 2-CPU machine. This module
 * loads that same build under Node's `worker_threads` and registers it as the `wasm` backend, so
 * every stock wasm kernel and every ebmjs kernel fill runs on it unchanged:
 *
 * - the pthread workers run `worker/wasm-pthread.cjs` (shipped in this package), which evaluates
 *   tfjs's own worker script;
 * - the main script is handed to the workers by path (`mainScriptUrlOrBlob`), where tfjs uses a
 *   browser Blob;
 * - the instantiation reports `2 x threads` logical cores to the module, so that its
 *   `cores / 2` cap gives the requested pool size.
 *
 * @module wasm-threads
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, InvalidArgumentError } from './errors.js';
import { nodeModule } from './node-module.js';

/** The tfjs wasm package API this module uses. */
interface WasmPackage {
  BackendWasm: new (module: unknown) => tf.KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** The emscripten module of the threaded build, as far as it is used here. */
interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: Record<string, unknown>;
  PThread?: { runningWorkers: { unref?: () => void }[] };
}

type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** Backend priority tfjs gives wasm (kept so that backend auto-selection is unchanged). */
const WASM_PRIORITY = 2;
/** tfjs pre-spawns 8 pthread workers and never uses more than that. */
export const MAX_WASM_THREADS = 8;

const THREADED_JS = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';

/**
 * Registration state, on `globalThis` like tfjs's own engine, so that it survives a second copy of
 * this module (test runners re-import modules per file in one process).
 */
interface ThreadsState {
  /** Thread count of the `wasm` factory ebmjs registered (0 = tfjs's own single-threaded one). */
  registered: number;
  /** XNNPACK pool size of that factory (absent in old copies: the same as `registered`). */
  pool?: number;
  /** tfjs's own `wasm` factory, kept to put back for `threads: 1`. */
  stockFactory?: () => tf.KernelBackend | Promise<tf.KernelBackend>;
}
const STATE_KEY = Symbol.for('@ebmjs/tensor-backend/wasm-threads');
function state(): ThreadsState {
  const g = globalThis as { [STATE_KEY]?: ThreadsState };
  g[STATE_KEY] ??= { registered: 0 };
  return g[STATE_KEY];
}

/**
 * The number of XNNPACK threads of the live `wasm` backend: 1 for tfjs's stock Node build,
 * `undefined` when no wasm backend has been initialised.
 */
export function wasmThreadCount(): number | undefined {
  const engine = tf.engine() as unknown as { registry: Record<string, unknown> };
  const backend = engine.registry.wasm as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  return backend?.wasm?.tfjs?.getThreadsCount?.();
}

/** The thread count of ebmjs's registered threaded `wasm` factory (Node), 1 for tfjs's own. */
export function registeredWasmThreads(): number {
  return state().registered || 1;
}

/** Whether the `wasm` backend factory is ebmjs's threaded one (Node). */
export function isThreadedWasmRegistered(): boolean {
  return state().registered > 1;
}

/**
 * Default thread count in Node: half the CPUs this process may use (at least 1, at most
 * {@link MAX_WASM_THREADS}), the rule tfjs applies in browsers. XNNPACK's pool threads spin while
 * they wait, so a pool as large as the machine loses badly when other processes want the cores
 * (measured in bench/NOTES.md: 2 threads on 2 busy-shared CPUs ran 1.6x slower than 1 thread).
 */
export async function defaultWasmThreads(): Promise<number> {
  const os = await nodeModule<typeof import('node:os')>('node:os', 'wasm threads');
  const n =
    typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(n / 2)));
}

/** Checks a requested thread count: an integer in 1..{@link MAX_WASM_THREADS}. */
export function checkThreads(threads: unknown, name = 'options.threads'): number {
  if (
    typeof threads !== 'number' ||
    !Number.isInteger(threads) ||
    threads < 1 ||
    threads > MAX_WASM_THREADS
  ) {
    throw new InvalidArgumentError(
      name,
      `must be an integer from 1 to ${MAX_WASM_THREADS}, got ${String(threads)}`,
    );
  }
  return threads;
}

/**
 * Registers (Node only) the `wasm` backend factory with `threads` threads, replacing the stock
 * registration: tfjs's threaded build (a shared heap) with an XNNPACK pool of `pool` threads
 * (default `threads`; the FMA convolutions run 1, and their own helper threads beside it).
 * `threads === 1` puts tfjs's stock single-threaded factory back. A wasm backend that is already
 * initialised with another registration is disposed (its tensors with it); `tf.setBackend('wasm')`
 * then builds the new one.
 *
 * @returns whether the registration changed.
 */
export async function registerNodeWasmThreads(threads: number, pool = threads): Promise<boolean> {
  checkThreads(threads);
  checkThreads(pool, 'pool');
  const st = state();
  const current = st.registered || 1;
  const currentPool = st.pool ?? current;
  if (threads === current && (threads === 1 || pool === currentPool)) return false;

  const { createRequire } = await nodeModule<typeof import('node:module')>(
    'node:module',
    'wasm threads',
  );
  const { fileURLToPath } = await nodeModule<typeof import('node:url')>('node:url', 'wasm threads');
  const { readFile } = await nodeModule<typeof import('node:fs/promises')>(
    'node:fs/promises',
    'wasm threads',
  );
  const require = createRequire(import.meta.url);
  let pkg: WasmPackage;
  let mainJs: string;
  try {
    pkg = require('@tensorflow/tfjs-backend-wasm') as WasmPackage;
    mainJs = require.resolve(THREADED_JS);
  } catch (cause) {
    throw new BackendUnavailableError(
      'wasm',
      `wasm threads need @tensorflow/tfjs-backend-wasm (npm i @tensorflow/tfjs-backend-wasm): ${(cause as Error).message.split('\n')[0]}`,
    );
  }
  const wasmFile = mainJs.replace(/\.js$/, '.wasm');
  const workerJs = fileURLToPath(new URL('../worker/wasm-pthread.cjs', import.meta.url));

  const engine = tf.engine() as unknown as { registry: Record<string, unknown> };
  const factory = tf.findBackendFactory('wasm');
  if (factory) {
    if (st.registered === 0) st.stockFactory = factory;
    if (tf.getBackend() === 'wasm' && engine.registry.wasm) {
      // Leave a backend selected while the old wasm one goes away.
      await tf.setBackend('cpu');
    }
    tf.removeBackend('wasm');
  }

  if (threads === 1) {
    // tfjs's own factory (its single-threaded SIMD build in Node), saved when first replaced.
    if (st.stockFactory) tf.registerBackend('wasm', st.stockFactory, WASM_PRIORITY);
    pkg.setThreadsCount(-1);
    st.registered = 0;
    st.pool = undefined;
    return true;
  }

  const binary = await readFile(wasmFile);
  tf.registerBackend(
    'wasm',
    async () => {
      const factory = require(mainJs) as Factory;
      const module = await factory({
        locateFile: (path: string, prefix: string) =>
          path.endsWith('.worker.js')
            ? workerJs
            : path.endsWith('.wasm')
              ? wasmFile
              : prefix + path,
        // Workers read the main script from this path (tfjs passes a Blob, which Node cannot load).
        mainScriptUrlOrBlob: mainJs,
        instantiateWasm: (
          info: { env: Record<string, unknown> },
          receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
        ) => {
          // The module sizes its pool as min(requested, cores / 2): report 2 x pool cores.
          info.env.emscripten_num_logical_cores = () => pool * 2;
          WebAssembly.instantiate(binary, info as unknown as WebAssembly.Imports).then(
            ({ instance, module: m }) => receive(instance, m),
          );
          return {};
        },
      });
      addTfjsBridge(module);
      pkg.setThreadsCount(pool);
      const backend = new pkg.BackendWasm(module);
      // The pool's threads idle forever; like the unused workers, they must not keep Node alive.
      for (const worker of module.PThread?.runningWorkers ?? []) worker.unref?.();
      return backend;
    },
    WASM_PRIORITY,
  );
  st.registered = threads;
  st.pool = pool;
  return true;
}

/** The `module.tfjs` bridge tfjs's `init()` adds and `BackendWasm` expects. */
function addTfjsBridge(module: EmscriptenModule): void {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
}
