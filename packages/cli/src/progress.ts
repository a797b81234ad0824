/**
 * Training progress: a live bar on a terminal (cli-progress), plain lines otherwise (CI, pipes).
 *
 * @module progress
 */
import cliProgress from 'cli-progress';

/** What the trainer reports after each batch. */
export interface ProgressUpdate {
  epoch: number;
  epochs: number;
  step: number;
  total: number;
  loss: number;
  cdiv: number;
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
  options: { quiet?: boolean; plainEvery?: number } = {},
): Progress {
  if (options.quiet) return { update() {}, log() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          'epoch {epoch}/{epochs} [{bar}] {value}/{total} steps | ETA {eta_formatted} | loss {loss} cdiv {cdiv}',
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
          epoch: u.epoch + 1,
          epochs: u.epochs,
          loss: fmt(u.loss),
          cdiv: fmt(u.cdiv),
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
  let firstStep = -1;
  return {
    update(u) {
      if (firstStep < 0) firstStep = u.step - 1;
      const now = Date.now();
      if (now - last < every && u.step !== u.total) return;
      last = now;
      const done = u.step - firstStep;
      const rate = done / ((now - t0) / 1000);
      stream.write(
        `epoch ${u.epoch + 1}/${u.epochs} | step ${u.step}/${u.total} | ETA ${eta((u.total - u.step) / rate)} | loss ${fmt(u.loss)} cdiv ${fmt(u.cdiv)}\n`,
      );
    },
    log(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}
