// Shared helpers for the ebmjs benchmarks: timing (warm-up + median), tables, machine info,
// and writing results to bench/results/*.json (gitignored).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
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
