/**
 * Helper threads for the FMA convolution (Node, tfjs's threaded wasm build).
 *
 * The FMA kernels (kernels/wasm-conv-fma) are plain wasm functions on tfjs's heap. When tfjs runs
 * its threaded build, that heap is a shared memory, so other threads can run the same kernel on
 * it: each helper is a `worker_threads` worker holding an instance of the conv module on that
 * memory. A convolution is split by output pixels (whole 8-pixel tiles) between the calling
 * thread and the helpers; the calling thread hands out the ranges through a shared control block,
 * runs its own range and waits with `Atomics.wait` (a futex: the helpers sleep between
 * convolutions instead of spinning, so they cost little when another process needs the core).
 *
 * @module kernels/conv-threads
 */
import { BackendUnavailableError } from '../errors.js';
import { nodeModule } from '../node-module.js';
import { processState } from './shared.js';

/** Control block slots (Int32): command counter, done counter, failure flag, function, args. */
const SEQ = 0;
const DONE = 1;
const FAILED = 2;
const FUNC = 3;
const ARGS = 4;
const NARGS = 22;
const SLOTS = ARGS + NARGS;

/** Function ids in the control block. */
export const CONV = 0;
export const CONV4 = 1;
export const CONV1 = 2;
export const FGRAD = 3;
const QUIT = -1;

// The helper: instantiates the module on the shared memory, then runs whatever the control
// block says until told to quit. Errors are reported in the block (the caller is blocked in
// Atomics.wait and would never see an 'error' event).
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, module, control } = workerData;
const c = new Int32Array(control);
let ex;
try {
  ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
} catch (e) {
  Atomics.store(c, ${FAILED}, 1);
}
let seq = 0;
for (;;) {
  Atomics.wait(c, ${SEQ}, seq);
  seq = Atomics.load(c, ${SEQ});
  const f = c[${FUNC}];
  if (f === ${QUIT}) break;
  try {
    // kernels by id: ${CONV} conv, ${CONV4} conv4, ${CONV1} conv1, ${FGRAD} fgrad (extra arguments are ignored)
    [ex.conv, ex.conv4, ex.conv1, ex.fgrad][f](...c.subarray(${ARGS}, ${SLOTS}));
  } catch (e) {
    Atomics.store(c, ${FAILED}, 1);
  }
  Atomics.store(c, ${DONE}, seq);
  Atomics.notify(c, ${DONE});
}
`;

interface Helper {
  control: Int32Array;
  worker: { terminate(): Promise<number>; unref(): void };
}

interface Pool {
  memory: WebAssembly.Memory;
  /** The conv module the helpers instantiated (the FMA or the multiply-add variant). */
  module: WebAssembly.Module;
  helpers: Helper[];
}

const state = processState<{ pool?: Pool }>('conv-threads', () => ({}));

/** The number of helper threads running on `memory`. */
export function convHelpers(memory: WebAssembly.Memory): number {
  return state.pool?.memory === memory ? state.pool.helpers.length : 0;
}

function post(h: Helper, func: number, args: number[]): void {
  h.control[FUNC] = func;
  h.control.set(args, ARGS);
  Atomics.add(h.control, SEQ, 1);
  Atomics.notify(h.control, SEQ);
}

/**
 * Starts `count` helper threads on the shared `memory` running `module` (the shared-memory conv
 * module), replacing helpers of another memory, module or count. Resolves when each has instantiated
 * the module and waits for work.
 */
export async function startConvHelpers(
  memory: WebAssembly.Memory,
  module: WebAssembly.Module,
  count: number,
): Promise<void> {
  if (convHelpers(memory) === count && (count === 0 || state.pool?.module === module)) return;
  await stopConvHelpers();
  if (count <= 0) return;
  const { Worker } = await nodeModule<typeof import('node:worker_threads')>(
    'node:worker_threads',
    'FMA convolution threads',
  );
  const helpers: Helper[] = [];
  for (let i = 0; i < count; i++) {
    const control = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
    const worker = new Worker(HELPER_SOURCE, {
      eval: true,
      workerData: { memory, module, control: control.buffer },
    });
    worker.unref(); // a helper waiting for work does not keep the process alive
    helpers.push({ control, worker });
  }
  state.pool = { memory, module, helpers };
  // A no-op round trip (no pixels; oh = ow = 1 so that nothing divides by 0), polled rather than
  // waited for: a starting worker may need this thread's event loop.
  const noop = new Array<number>(NARGS).fill(0);
  noop[8] = 1;
  noop[9] = 1;
  for (const h of helpers) post(h, CONV, noop);
  const t0 = Date.now();
  while (helpers.some((h) => Atomics.load(h.control, DONE) !== Atomics.load(h.control, SEQ))) {
    if (Date.now() - t0 > 60_000) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  if (helpers.some((h) => Atomics.load(h.control, DONE) !== 1 || h.control[FAILED] !== 0)) {
    await stopConvHelpers();
    throw new BackendUnavailableError('wasm', 'the FMA convolution helper threads did not start');
  }
}

/** Stops the helpers. */
export async function stopConvHelpers(): Promise<void> {
  const pool = state.pool;
  state.pool = undefined;
  if (!pool) return;
  for (const h of pool.helpers) post(h, QUIT, []);
  await Promise.all(pool.helpers.map((h) => h.worker.terminate()));
}

function wait(h: Helper): void {
  const seq = Atomics.load(h.control, SEQ);
  const t0 = Date.now();
  for (;;) {
    const done = Atomics.load(h.control, DONE);
    if (done === seq) break;
    if (Atomics.wait(h.control, DONE, done, 1000) === 'timed-out' && Date.now() - t0 > 60_000) {
      throw new BackendUnavailableError(
        'wasm',
        'an FMA convolution helper thread stopped answering',
      );
    }
  }
  if (h.control[FAILED] !== 0) {
    throw new BackendUnavailableError('wasm', 'an FMA convolution helper thread failed');
  }
}

/**
 * Runs kernel `func` over units [0, total) (output pixels; row tiles for fgrad) split between
 * this thread (`own(first, last)`) and the helpers on `memory`; `args` are the kernel's arguments
 * before the range.
 */
export function splitConv(
  memory: WebAssembly.Memory,
  func: number,
  args: readonly number[],
  total: number,
  own: (first: number, last: number) => void,
): void {
  const helpers = state.pool?.memory === memory ? state.pool.helpers : [];
  // whole 8-pixel tiles per thread: a kernel tile never straddles two threads' ranges
  const chunk = Math.ceil(total / (helpers.length + 1) / 8) * 8;
  const busy: Helper[] = [];
  helpers.forEach((h, i) => {
    const first = (i + 1) * chunk;
    if (first >= total) return;
    post(h, func, [...args, first, Math.min(total, first + chunk)]);
    busy.push(h);
  });
  let error: unknown;
  try {
    own(0, Math.min(total, chunk));
  } catch (e) {
    error = e;
  }
  for (const h of busy) wait(h);
  if (error !== undefined) throw error;
}
