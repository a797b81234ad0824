/**
 * Training progress: a live bar on a terminal (cli-progress), plain lines otherwise (CI, pipes).
 *
 * @module progress
 */
import cliProgress from 'cli-progress';

/** What the trainer reports after each batch. */
export interface ProgressUpdate {
  /** Shown instead of `epoch e/E` when given (e.g. `samples`, `AIS`). */
  phase?: string;
  /** What `step` and `total` count, plural (default: steps). */
  unit?: string;
  epoch: number;
  epochs: number;
  step: number;
  total: number;
  /** CD loss and contrastive divergence (energy models); shown as `loss ... cdiv ...`. */
  loss?: number;
  cdiv?: number;
  /** Other live metrics by label (e.g. an RBM's `recon`), shown after loss and cdiv. */
  metrics?: Readonly<Record<string, number>>;
}

/** A progress reporter. */
export interface Progress {
  update(u: ProgressUpdate): void;
  log(line: string): void;
  stop(): void;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(4);
}

/** ` | loss 0.1234 cdiv 0.0012 recon ...`: the metrics of an update ('' when there are none). */
function metricText(u: ProgressUpdate): string {
  const parts: string[] = [];
  if (u.loss !== undefined) parts.push(`loss ${fmt(u.loss)}`);
  if (u.cdiv !== undefined) parts.push(`cdiv ${fmt(u.cdiv)}`);
  for (const [label, value] of Object.entries(u.metrics ?? {}))
    parts.push(`${label} ${fmt(value)}`);
  return parts.length > 0 ? ` | ${parts.join(' ')}` : '';
}

function head(u: ProgressUpdate): string {
  return u.phase ?? `epoch ${u.epoch + 1}/${u.epochs}`;
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * A progress reporter writing to `stream`: a bar with batches, ETA and live metrics when it is a
 * TTY, else a plain line about every `plainEvery` seconds and at each epoch end.
 */
export function createProgress(
  stream: NodeJS.WriteStream,
  options: {
    quiet?: boolean;
    plainEvery?: number;
    /**
     * Step count when the reporter is created, for the ETA of plain lines (default: one less
     * than the first update's, right for updates after every step; give it when updates come
     * every few steps).
     */
    startStep?: number;
  } = {},
): Progress {
  if (options.quiet) return { update() {}, log() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{head} [{bar}] {value}/{total} {unit} | ETA {eta_formatted}{metrics}',
        hideCursor: true,
        etaBuffer: 20,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(u) {
        const payload = {
          head: head(u),
          unit: u.unit ?? 'steps',
          metrics: metricText(u),
        };
        if (!started) {
          bar.start(u.total, u.step, payload);
          started = true;
        } else bar.update(u.step, payload);
      },
      log(line) {
        if (started) bar.stop();
        stream.write(`${line}\n`);
        if (started) {
          started = false;
        }
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  const every = (options.plainEvery ?? 10) * 1000;
  const t0 = Date.now();
  let last = 0;
  let firstStep = options.startStep ?? -1;
  return {
    update(u) {
      if (firstStep < 0) firstStep = u.step - 1;
      const now = Date.now();
      if (now - last < every && u.step !== u.total) return;
      last = now;
      const done = u.step - firstStep;
      const rate = done / ((now - t0) / 1000);
      stream.write(
        `${head(u)} | ${u.unit ?? 'step'} ${u.step}/${u.total} | ETA ${eta((u.total - u.step) / rate)}${metricText(u)}\n`,
      );
    },
    log(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}
