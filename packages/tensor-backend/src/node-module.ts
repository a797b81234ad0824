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
