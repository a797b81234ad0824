/**
 * The typed error thrown by `@ebmjs/datasets` for bad input and unreadable files.
 *
 * Codes match `EbmErrorCode` of `@ebmjs/tensor-backend` so that this class can later be re-based
 * on the shared `EbmError` without changing what callers switch on.
 *
 * @module errors
 */

/** Stable, machine-readable error codes used by this package. */
export type DatasetErrorCode =
  /** An argument or option is of the wrong type, out of range or otherwise unusable. */
  | 'E_INVALID_ARGUMENT'
  /** An array has a shape other than the one expected. */
  | 'E_SHAPE'
  /** A file is truncated, of the wrong kind or inconsistent with its header. */
  | 'E_CORRUPT_DATA'
  /** The request is valid but not supported (e.g. an IDX dtype that cannot hold images). */
  | 'E_UNSUPPORTED'
  /** Reading or writing a file failed (missing file, permissions, ...). */
  | 'E_IO';

/** Error thrown on purpose by `@ebmjs/datasets`; switch on {@link DatasetError.code}. */
export class DatasetError extends Error {
  /** Stable, machine-readable code. */
  readonly code: DatasetErrorCode;
  /** Name of the offending argument or option (e.g. `options.batchSize`), when there is one. */
  readonly argument: string | undefined;
  /** The file concerned, for file errors. */
  readonly path: string | undefined;

  constructor(
    code: DatasetErrorCode,
    message: string,
    options: { argument?: string; path?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.argument = options.argument;
    this.path = options.path;
    this.name = 'DatasetError';
  }
}

/** Throws an `E_INVALID_ARGUMENT` error naming `argument`. @internal */
export function invalid(argument: string, expected: string, got: unknown): never {
  throw new DatasetError(
    'E_INVALID_ARGUMENT',
    `${argument}: expected ${expected}, got ${show(got)}`,
    {
      argument,
    },
  );
}

/** Short printable form of a value for error messages. @internal */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v == null) return String(v);
  if (Array.isArray(v))
    return `[${v.slice(0, 8).map(show).join(', ')}${v.length > 8 ? ', ...' : ''}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Uint8Array).length})`;
  return typeof v;
}

/** Checks that `v` is an integer in [min, max]. @internal */
export function checkInt(
  argument: string,
  v: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    invalid(
      argument,
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`,
      v,
    );
  }
  return v;
}

/** Checks that `v` is a finite number in [min, max]. @internal */
export function checkNumber(argument: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range =
      min === -Infinity && max === Infinity
        ? 'a finite number'
        : `a finite number in [${min}, ${max}]`;
    invalid(argument, range, v);
  }
  return v;
}

/** Checks that `v` is a plain options object (or undefined → `{}`). @internal */
export function checkOptions<T extends object>(argument: string, v: T | undefined): T {
  if (v === undefined) return {} as T;
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    invalid(argument, 'an options object', v);
  return v;
}
