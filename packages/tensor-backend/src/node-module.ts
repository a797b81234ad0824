/**
 * Lazy imports of Node built-ins from code that also ships to browsers.
 *
 * @module node-module
 */
import { UnsupportedError } from './errors.js';

/**
 * Imports a Node built-in (`'node:fs/promises'`, `'node:path'`, ...) at run time. The specifier is a
 * variable, so browser bundlers (esbuild, Vite, webpack) leave it alone instead of failing to
 * resolve `node:` modules: the package stays bundleable, and the import only happens (and only
 * fails) when a Node-only feature such as saving a file is used.
 *
 * @throws {@link UnsupportedError} (code `E_UNSUPPORTED`) outside Node, naming `feature`.
 */
export async function nodeModule<T>(specifier: `node:${string}`, feature: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
  } catch (cause) {
    throw new UnsupportedError(`${feature} needs Node.js (${specifier} is not available here)`, {
      cause,
    });
  }
}

/** True in Node (and Deno/Bun with Node compatibility), false in browsers and workers. */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return (
    typeof p?.versions?.node === 'string' &&
    typeof (globalThis as { window?: unknown }).window === 'undefined'
  );
}

/** Environment variable `name` in Node, trimmed; `undefined` if unset, blank or not in Node. */
export function nodeEnv(name: string): string | undefined {
  if (!isNode()) return undefined;
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env?.[name];
  const t = value?.trim();
  return t === undefined || t === '' ? undefined : t;
}
