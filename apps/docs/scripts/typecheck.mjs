// Type-checks the docs app's TypeScript, including the client <script> blocks of the .astro
// components (which `astro build` bundles without type checking): each block is handed to the
// TypeScript compiler as a virtual `<component>.astro.ts` file next to the component, so its
// relative imports resolve as in the component. Exits non-zero on any error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const configPath = path.join(root, 'tsconfig.json');
const read = ts.readConfigFile(configPath, ts.sys.readFile);
if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);

const virtual = new Map();
const componentsDir = path.join(root, 'src/components');
for (const f of fs.readdirSync(componentsDir).filter((x) => x.endsWith('.astro'))) {
  const src = fs.readFileSync(path.join(componentsDir, f), 'utf8');
  const blocks = [...src.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  blocks.forEach((code, i) => {
    virtual.set(path.join(componentsDir, `${f}${i ? `.${i}` : ''}.ts`), code);
  });
}

const host = ts.createCompilerHost(parsed.options);
const { fileExists, readFile, getSourceFile } = host;
host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
host.getSourceFile = (f, lang, ...rest) =>
  virtual.has(f)
    ? ts.createSourceFile(f, virtual.get(f), lang)
    : getSourceFile.call(host, f, lang, ...rest);

const program = ts.createProgram({
  rootNames: [...parsed.fileNames.filter((f) => !f.includes('/dist/')), ...virtual.keys()],
  options: { ...parsed.options, noEmit: true },
  host,
});
const diags = ts.getPreEmitDiagnostics(program);
if (diags.length) {
  const fmtHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  };
  console.error(
    process.stderr.isTTY
      ? ts.formatDiagnosticsWithColorAndContext(diags, fmtHost)
      : ts.formatDiagnostics(diags, fmtHost),
  );
  process.exit(1);
}
console.log(
  `typecheck: ${virtual.size} component script(s) and ${parsed.fileNames.length} file(s) OK`,
);
