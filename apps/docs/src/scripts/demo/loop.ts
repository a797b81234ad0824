// The animation loop and status line shared by the live demos.
//
// Each demo supplies `frame()`, a small amount of work (a few sampler or training steps) that
// returns how many steps it did and the metrics to show. The loop runs one frame per animation
// frame (`tf.nextFrame()`), so the page stays responsive, and writes a status line whose data
// attributes the browser test reads: data-state (idle | running | paused | error), data-steps,
// data-tensors (tf.memory().numTensors) and data-<metric> per metric.
import * as tf from '@tensorflow/tfjs';

export interface FrameResult {
  /** Steps done in this frame. */
  steps: number;
  /** Metrics to show (the latest value of each). */
  metrics?: Record<string, number>;
}

export interface DemoLoopOptions {
  /** The status element (`data-testid="status"`). */
  status: HTMLElement;
  /** One frame of work. */
  frame: () => Promise<FrameResult> | FrameResult;
  /** Optional text before the counters, e.g. the backend name. */
  prefix?: () => string;
  /** Formats one metric for the status line. Default: 4 significant digits. */
  format?: (name: string, value: number) => string;
}

const fmt = (v: number) =>
  !Number.isFinite(v)
    ? String(v)
    : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
      ? v.toExponential(2)
      : v.toPrecision(4);

export class DemoLoop {
  steps = 0;
  metrics: Record<string, number> = {};
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private queue: Promise<void> = Promise.resolve();
  private onState: ((running: boolean) => void)[] = [];

  constructor(private readonly opts: DemoLoopOptions) {
    this.render('idle');
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Called with the new running state on start and pause (to relabel buttons). */
  onRunningChange(fn: (running: boolean) => void): void {
    this.onState.push(fn);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.emit(true);
    this.render('running');
    this.done = this.run();
  }

  /** Stops after the current frame; resolves when it has finished. */
  async pause(): Promise<void> {
    if (this.running) {
      this.running = false;
      this.emit(false);
    }
    await this.done;
    if (this.opts.status.dataset.state !== 'error') this.render(this.steps ? 'paused' : 'idle');
  }

  toggle(): void {
    if (this.running) void this.pause();
    else this.start();
  }

  /**
   * Pauses, runs `fn` (which changes the demo's state) and resumes if the loop was running. Calls
   * are queued, so that two quick changes of the controls never rebuild the state concurrently.
   */
  exclusive(fn: () => void | Promise<void>, zero = false): Promise<void> {
    const next = this.queue.then(async () => {
      const was = this.running;
      await this.pause();
      try {
        await fn();
      } catch (e) {
        this.fail(e);
        return;
      }
      if (zero) {
        this.steps = 0;
        this.metrics = {};
        this.render('idle');
      } else {
        this.refresh();
      }
      if (was) this.start();
    });
    this.queue = next;
    return next;
  }

  /** {@link exclusive}, and zeroes the step counter and metrics (a fresh start). */
  reset(fn: () => void | Promise<void>): Promise<void> {
    return this.exclusive(fn, true);
  }

  /** Redraws the status line (e.g. after a change made while paused). */
  refresh(): void {
    this.render((this.opts.status.dataset.state as string) || 'idle');
  }

  fail(e: unknown): void {
    this.running = false;
    this.emit(false);
    console.error(e);
    this.opts.status.dataset.state = 'error';
    this.opts.status.textContent = `Error: ${e instanceof Error ? e.message : String(e)}`;
  }

  private emit(running: boolean): void {
    for (const f of this.onState) f(running);
  }

  private async run(): Promise<void> {
    try {
      while (this.running) {
        const r = await this.opts.frame();
        this.steps += r.steps;
        if (r.metrics) Object.assign(this.metrics, r.metrics);
        if (this.running) this.render('running');
        await tf.nextFrame();
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private render(state: string): void {
    const el = this.opts.status;
    el.dataset.state = state;
    el.dataset.steps = String(this.steps);
    const tensors = tf.engine().backendName ? tf.memory().numTensors : 0;
    el.dataset.tensors = String(tensors);
    const parts: string[] = [];
    const pre = this.opts.prefix?.();
    if (pre) parts.push(pre);
    parts.push(state, `step ${this.steps}`);
    for (const k of Object.keys(el.dataset)) {
      if (!['state', 'steps', 'tensors', 'testid'].includes(k) && !(k in this.metrics))
        delete el.dataset[k];
    }
    for (const [k, v] of Object.entries(this.metrics)) {
      el.dataset[k] = String(v);
      parts.push(`${k} ${this.opts.format ? this.opts.format(k, v) : fmt(v)}`);
    }
    parts.push(`tensors ${tensors}`);
    el.textContent = parts.join(' · ');
  }
}

/** Looks up `[data-testid=id]` inside a demo root (throws if the markup is missing it). */
export function byTestId<T extends HTMLElement = HTMLElement>(root: ParentNode, id: string): T {
  const el = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`demo markup is missing [data-testid="${id}"]`);
  return el;
}
