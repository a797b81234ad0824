// Shared helpers for the ebmjs benchmarks: timing (warm-up + median), tables, machine info,
// load average, writing results to bench/results/*.json (gitignored), the PyTorch reference
// workers (reference/torch_ebm.py --serve) and interleaved timing rounds.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));

/** Median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times `fn` (synchronous): `warmup` untimed calls, then `reps` timed ones.
 * Returns { medianMs, minMs, maxMs, reps, samples }.
 */
export function timeIt(fn, { warmup = 2, reps = 10 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const samples = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

export function summarize(samples) {
  return {
    medianMs: median(samples),
    minMs: Math.min(...samples),
    maxMs: Math.max(...samples),
    reps: samples.length,
    samples: samples.map((s) => Math.round(s * 100) / 100),
  };
}

/** Plain-text table: rows are arrays of cells, first row is the header. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) => r.map((cell, c) => String(cell).padStart(widths[c])).join('  ');
  return [
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

export function fmtMs(x) {
  return x == null ? 'n/a' : x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

export function fmtRatio(a, b) {
  return a == null || b == null ? 'n/a' : `${(a / b).toFixed(2)}x`;
}

export function machineInfo() {
  const c = cpus();
  return {
    cpuModel: c[0]?.model ?? 'unknown',
    logicalCpus: c.length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Writes `result` to bench/results/<name>-<timestamp>.json and returns the path. */
export function saveResult(name, result) {
  const dir = join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `${name}-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

/** The 1-minute, 5-minute and 15-minute load averages ('n/a' where /proc is missing). */
export function loadavg() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

/**
 * A long-lived timing worker speaking torch_ebm.py's --serve line protocol: `step()` / `iter()`
 * resolve to the ms of one Langevin step / training iteration timed inside the worker. `start`
 * runs the PyTorch reference (null when torch is missing; the reason goes to `log`); `spawn` runs
 * any such process (bench/ebmjs-serve.mjs for ebmjs on other thread counts).
 */
export class ServeWorker {
  /** The PyTorch reference, torch_ebm.py --serve. */
  static async start(label, threads, env, log, { batch = 128, steps = 60 } = {}) {
    const script = join(benchDir, 'reference/torch_ebm.py');
    if (!existsSync(script)) return null;
    const args = [script, '--serve', '--batch', String(batch), '--threads', String(threads)];
    return ServeWorker.spawn(label, threads, env, log, '/usr/bin/python3', [
      ...args,
      '--steps',
      String(steps),
    ]);
  }

  /** Any process of the protocol: 'ready <json>', then one number of ms per 'step' / 'iter' line. */
  static async spawn(label, threads, env, log, command, args) {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const w = new ServeWorker(label, threads, env, child);
    w.name = basename(args[0] ?? command);
    try {
      const ready = await w.next(600_000);
      if (!ready.startsWith('ready ')) throw new Error(`unexpected: ${ready}`);
      w.info = JSON.parse(ready.slice(6));
      return w;
    } catch (e) {
      log(`(${w.name} ${label} skipped: ${w.stderr.trim().split('\n').pop() || e.message})`);
      w.close();
      return null;
    }
  }

  constructor(label, threads, env, child) {
    this.label = label;
    this.threads = threads;
    this.env = env;
    this.child = child;
    this.stderr = '';
    this.lines = [];
    this.waiting = null;
    child.stderr.on('data', (d) => {
      this.stderr += d;
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (this.waiting) {
        const { resolve } = this.waiting;
        this.waiting = null;
        resolve(line);
      } else this.lines.push(line);
    });
    child.on('exit', (code) => {
      if (this.waiting) {
        const { reject } = this.waiting;
        this.waiting = null;
        reject(new Error(`${this.name} exited with code ${code}`));
      }
    });
  }

  next(timeoutMs) {
    if (this.lines.length) return Promise.resolve(this.lines.shift());
    if (this.child.exitCode !== null) return Promise.reject(new Error(`${this.name} exited`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      this.waiting = {
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  async command(cmd) {
    this.child.stdin.write(`${cmd}\n`);
    const line = await this.next(600_000);
    const ms = Number(line);
    if (!Number.isFinite(ms)) throw new Error(`${this.name} ${cmd}: ${line}`);
    return ms;
  }

  step() {
    return this.command('step');
  }

  iter() {
    return this.command('iter');
  }

  close() {
    if (this.child.exitCode === null) {
      this.child.stdin.end('quit\n');
      // do not keep the bench process alive for a stuck worker
      setTimeout(() => this.child.exitCode === null && this.child.kill(), 5000).unref();
    }
  }
}

/**
 * Starts the PyTorch reference workers, one after the other (each warms up: 3 Langevin steps and
 * one training iteration): `pytorch-2t` (2 threads), `pytorch-1t` (1 thread) and, unless `args`
 * has `--no-passive`, `pytorch-2t-passive` (2 threads, OMP_WAIT_POLICY=PASSIVE). Returns the
 * started workers (each with `key`, `label`, `info`); none when EBMJS_BENCH_NO_TORCH is set or
 * torch is missing.
 */
export async function startTorchWorkers({ batch = 128, steps = 60, args = [], log = console.log }) {
  const workers = [];
  if (process.env.EBMJS_BENCH_NO_TORCH) return workers;
  const specs = [
    ['pytorch-2t', '2 threads', 2, {}],
    ['pytorch-1t', '1 thread', 1, {}],
  ];
  // Debian's torch runs its ops on OpenMP (libgomp), whose idle threads spin by default: when
  // other jobs share the 2 cores, a spinning thread burns the time slice its partner needs and
  // 2 threads can be several times slower than 1. OMP_WAIT_POLICY=PASSIVE makes them sleep.
  if (!args.includes('--no-passive')) {
    specs.push(['pytorch-2t-passive', '2 threads, OMP passive', 2, { OMP_WAIT_POLICY: 'PASSIVE' }]);
  }
  for (const [key, label, threads, wenv] of specs) {
    const w = await ServeWorker.start(label, threads, wenv, log, { batch, steps });
    if (!w) break; // no torch: the others would fail alike
    w.key = key;
    workers.push(w);
  }
  return workers;
}

/** Idle time before each interleaved measurement (see {@link interleave}), ms. */
export const SETTLE_MS = 100;

/**
 * Interleaved timing rounds: in each round, `stepsPerRound` times one `step()` of every
 * implementation, one implementation after the other, then one `iter()` of each; the order
 * rotates every round so that machine-load drift hits every implementation alike; `settleMs`
 * (default {@link SETTLE_MS}) of idle time before each measurement.
 * `impls` = [{ key, step: async () => ms, iter: async () => ms }]; returns
 * { [key]: { step: [ms...], iter: [ms...] } }. `onRound(r)` (may be async) runs after each round.
 */
export async function interleave(
  impls,
  { rounds, stepsPerRound, onRound = () => {}, settleMs = SETTLE_MS },
) {
  const samples = Object.fromEntries(impls.map((m) => [m.key, { step: [], iter: [] }]));
  // Before each measurement, let the previous implementation's threads go idle: OpenMP (PyTorch)
  // and XNNPACK pools spin for a while after their work, and on this VM's 2 vCPUs (one core's
  // hyperthreads, it seems) a spinning neighbour slows whatever is measured next.
  const settle = () => new Promise((resolve) => setTimeout(resolve, settleMs));
  for (let r = 0; r < rounds; r++) {
    const order = impls.map((_, i) => impls[(i + r) % impls.length]);
    for (let s = 0; s < stepsPerRound; s++) {
      for (const m of order) {
        await settle();
        samples[m.key].step.push(await m.step());
      }
    }
    for (const m of order) {
      await settle();
      samples[m.key].iter.push(await m.iter());
    }
    await onRound(r);
  }
  return samples;
}

/**
 * Logs every sanity check and throws if any failed. Checks whose name mentions 'leaked' or 'left'
 * are tensor counts that must be 0; the others must be `true`.
 */
export function assertChecks(bench, checks, log) {
  for (const [k, v] of Object.entries(checks)) log(`check: ${k} = ${v}`);
  const failed = Object.entries(checks).filter(([k, v]) =>
    k.includes('leaked') || k.includes('left') ? v !== 0 : v !== true,
  );
  if (failed.length) {
    throw new Error(`${bench} checks failed: ${failed.map(([k, v]) => `${k} = ${v}`).join('; ')}`);
  }
}

// Debian's Chromium, its flags and a launcher, shared with the docs e2e.
export { CHROMIUM, CHROMIUM_ARGS, launchChromium } from '../scripts/chromium.mjs';

/** Bundles the browser page script `entry` with esbuild into `dir`/bundle.js: { path, bytes }. */
export async function bundlePage(entry, dir) {
  const esbuild = await import('esbuild');
  const out = join(dir, 'bundle.js');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    outfile: out,
    logLevel: 'error',
    metafile: true,
    // @ebmjs/cd-trainer's file checkpoints import('node:fs/promises') with a literal specifier,
    // which esbuild cannot resolve for the browser; the import only runs when a checkpoint is
    // written to disk, so leave node:* out of the bundle.
    external: ['node:*'],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return {
    path: out,
    bytes: result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].bytes,
  };
}
