/**
 * Step-size and noise schedules: functions `(step) => number` of the 0-based step index.
 * Every sampler option typed {@link ScheduleLike} accepts a number or one of these.
 *
 * @module schedules
 */
import {
  assertInteger,
  assertNumber,
  assertPositive,
  InvalidArgumentError,
} from '@ebmjs/tensor-backend';
import type { ScheduleLike } from './types.js';

/** A schedule: maps the 0-based step index to a value. */
export type Schedule = (step: number) => number;

/** Always `value`. */
export function constant(value: number): Schedule {
  assertNumber('value', value);
  return () => value;
}

function progress(step: number, steps: number): number {
  return Math.min(Math.max(step, 0), steps) / steps;
}

/**
 * Linear interpolation from `from` (step 0) to `to` (step `steps`), then held at `to`.
 */
export function linear(from: number, to: number, steps: number): Schedule {
  assertNumber('from', from);
  assertNumber('to', to);
  assertInteger('steps', steps, 1);
  return (step) => from + (to - from) * progress(step, steps);
}

/**
 * Geometric interpolation from `from` (step 0) to `to` (step `steps`): a constant ratio per step,
 * then held at `to`. Both ends must be > 0.
 */
export function geometric(from: number, to: number, steps: number): Schedule {
  assertPositive('from', from);
  assertPositive('to', to);
  assertInteger('steps', steps, 1);
  const logRatio = Math.log(to / from);
  return (step) => from * Math.exp(logRatio * progress(step, steps));
}

/** Exponential decay: `initial * rate^step` (`rate` > 0; below 1 decays, above 1 grows). */
export function exponential(initial: number, rate: number): Schedule {
  assertNumber('initial', initial);
  assertPositive('rate', rate);
  return (step) => initial * rate ** Math.max(step, 0);
}

/**
 * Cosine annealing from `from` (step 0) to `to` (step `steps`), then held at `to`:
 * `to + (from - to) * (1 + cos(pi * t / steps)) / 2`.
 */
export function cosine(from: number, to: number, steps: number): Schedule {
  assertNumber('from', from);
  assertNumber('to', to);
  assertInteger('steps', steps, 1);
  return (step) => to + ((from - to) * (1 + Math.cos(Math.PI * progress(step, steps)))) / 2;
}

/**
 * Validates a number-or-schedule option and returns it as a function. A fixed number is checked
 * here; a schedule's values are checked when they are used (see {@link evaluate}).
 * @internal
 */
export function toSchedule(
  name: string,
  value: ScheduleLike,
  options: { allowZero?: boolean } = {},
): Schedule {
  if (typeof value === 'function') {
    const first = value(0);
    checkValue(name, first, options.allowZero ?? false, 0);
    return value;
  }
  if (typeof value !== 'number') {
    throw new InvalidArgumentError(
      name,
      `expected a number or a schedule (step) => number, got ${typeof value}`,
    );
  }
  assertPositive(name, value, options);
  return () => value;
}

function checkValue(
  name: string,
  v: unknown,
  allowZero: boolean,
  step: number,
): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (allowZero ? v < 0 : v <= 0)) {
    throw new InvalidArgumentError(
      name,
      `schedule returned ${String(v)} at step ${step}; expected a finite number ${allowZero ? '>= 0' : '> 0'}`,
    );
  }
}

/** Evaluates a schedule at `step`, checking its value. @internal */
export function evaluate(
  name: string,
  schedule: Schedule,
  step: number,
  allowZero = false,
): number {
  const v = schedule(step);
  checkValue(name, v, allowZero, step);
  return v;
}
