// Finds the workspace packages to document and checks that their sources parse.
// Plain Node (no starlight-typedoc import), so it can run outside Astro.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const docsRoot = fileURLToPath(new URL('..', import.meta.url));
export const packagesRoot = path.resolve(docsRoot, '../../packages');
export const apiRoot = path.join(docsRoot, 'src/content/docs/api');

/**
 * @typedef {{ dir: string, name: string, description: string, entry: string, tsconfig: string }} DocPackage
 */

/** @returns {DocPackage[]} packages that have both `src/index.ts` and `tsconfig.json`, sorted by directory. */
export function discoverPackages(root = packagesRoot) {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .flatMap((dir) => {
      const base = path.join(root, dir);
      const entry = path.join(base, 'src/index.ts');
      const tsconfig = path.join(base, 'tsconfig.json');
      if (!fs.existsSync(entry) || !fs.existsSync(tsconfig)) return [];
      let name = dir;
      let description = '';
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(base, 'package.json'), 'utf8'));
        name = pkg.name ?? dir;
        description = pkg.description ?? '';
      } catch {
        // no readable package.json: fall back to the directory name
      }
      return [{ dir, name, description, entry, tsconfig }];
    });
}

/**
 * Parses a package's tsconfig and sources (syntax only) and returns readable error messages.
 * @param {DocPackage} p
 */
export function checkSources(p) {
  const format = (diags) =>
    diags.map((d) => {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return msg;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${path.relative(packagesRoot, d.file.fileName)}:${line + 1}:${character + 1} ${msg}`;
    });
  const read = ts.readConfigFile(p.tsconfig, ts.sys.readFile);
  if (read.error) return format([read.error]);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(p.tsconfig));
  if (parsed.errors.length) return format(parsed.errors);
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    // parse the package's own files only: no lib, no @types, no following imports
    options: { ...parsed.options, noLib: true, noResolve: true, types: [] },
  });
  const own = program.getSourceFiles().filter((f) => parsed.fileNames.includes(f.fileName));
  return format(own.flatMap((f) => program.getSyntacticDiagnostics(f)));
}
