/**
 * Typed errors shared by every ebmjs package. Each error carries a stable `code` that programs
 * can switch on; messages name the argument and what was expected.
 *
 * @module errors
 */

/** Stable error codes. New codes may be added; existing ones never change meaning. */
export type EbmErrorCode =
  | 'E_INVALID_ARGUMENT'
  | 'E_SHAPE'
  | 'E_NOT_FINITE'
  | 'E_BACKEND_UNAVAILABLE'
  | 'E_CORRUPT_DATA'
  | 'E_DIVERGED'
  | 'E_UNSUPPORTED'
  | 'E_IO';

/** Base class of every error thrown on purpose by an ebmjs package. */
export class EbmError extends Error {
  /** Stable, machine-readable code. */
  readonly code: EbmErrorCode;

  constructor(code: EbmErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An argument is of the wrong type, out of range or otherwise unusable. */
export class InvalidArgumentError extends EbmError {
  /** Name of the offending argument or option, e.g. `options.stepSize`. */
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('E_INVALID_ARGUMENT', `${argument}: ${message}`);
    this.argument = argument;
  }
}

/** A tensor or array has a shape other than the one expected. */
export class ShapeError extends EbmError {
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('E_SHAPE', `${argument}: ${message}`);
    this.argument = argument;
  }
}

/** Data contains NaN or infinite values where finite ones are required. */
export class NonFiniteError extends EbmError {
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('E_NOT_FINITE', `${argument}: ${message}`);
    this.argument = argument;
  }
}

/** The requested tfjs backend is not installed or failed to initialise. */
export class BackendUnavailableError extends EbmError {
  readonly backend: string;
  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super('E_BACKEND_UNAVAILABLE', message, options);
    this.backend = backend;
  }
}

/** A file, checkpoint or serialised state is truncated, of the wrong kind or inconsistent. */
export class CorruptDataError extends EbmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_CORRUPT_DATA', message, options);
  }
}

/** Training diverged: the loss became NaN/infinite or exploded. */
export class DivergenceError extends EbmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_DIVERGED', message, options);
  }
}

/** The operation is not supported in this configuration (backend, platform, option mix). */
export class UnsupportedError extends EbmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_UNSUPPORTED', message, options);
  }
}

/** Reading or writing a file failed. */
export class IOError extends EbmError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('E_IO', `${path}: ${message}`, options);
    this.path = path;
  }
}
