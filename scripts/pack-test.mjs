// Packaging test: `npm pack` every publishable package, install the tarballs into a temporary
// project that has only @tensorflow/tfjs and the wasm backend, import each package there and run
// a tiny script, then bundle each library for the browser. Proves "install only the pieces you
// need" and catches broken exports/files and Node-only imports in browser entries.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkgsDir = join(root, 'packages');
const work = mkdtempSync(join(tmpdir(), 'ebmjs-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const results = { passed: 0, failed: 0 };
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// Optional: package folder names to smoke-test. Every package is still packed and installed, so
// the named ones find their @ebmjs dependencies (which are not on the registry yet).
const only = process.argv.slice(2);
const pkgs = [];
for (const dir of readdirSync(pkgsDir)) {
  const pj = join(pkgsDir, dir, 'package.json');
  if (!existsSync(pj)) continue;
  const meta = JSON.parse(readFileSync(pj, 'utf8'));
  if (meta.private) continue;
  if (!existsSync(join(pkgsDir, dir, 'dist')))
    throw new Error(`${meta.name}: no dist/ (run the build first)`);
  const out = run('npm', ['pack', '--json', '--pack-destination', tarballs], join(pkgsDir, dir));
  const file = JSON.parse(out)[0].filename;
  pkgs.push({ name: meta.name, dir, file: join(tarballs, file), cli: meta.bin !== undefined });
}

const app = join(work, 'app');
mkdirSync(app);
const rootMeta = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(
  join(app, 'package.json'),
  JSON.stringify(
    {
      name: 'ebmjs-pack-test',
      private: true,
      type: 'module',
      dependencies: {
        '@tensorflow/tfjs': rootMeta.devDependencies['@tensorflow/tfjs'],
        '@tensorflow/tfjs-backend-wasm': rootMeta.devDependencies['@tensorflow/tfjs-backend-wasm'],
        ...Object.fromEntries(pkgs.map((p) => [p.name, `file:${p.file}`])),
      },
    },
    null,
    2,
  ),
);
console.log(`pack-test: installing ${pkgs.length} tarballs into ${app}`);
run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);

// Per-package smoke scripts live in scripts/pack-smoke/<dir>.mjs; a package without one gets
// an import check.
for (const p of pkgs) {
  if (only.length && !only.includes(p.dir)) continue;
  const smoke = join(root, 'scripts', 'pack-smoke', `${p.dir}.mjs`);
  const script = existsSync(smoke)
    ? readFileSync(smoke, 'utf8')
    : `const m = await import('${p.name}'); if (Object.keys(m).length === 0) throw new Error('no exports'); console.log('ok');`;
  const file = join(app, `smoke-${p.dir}.mjs`);
  writeFileSync(file, script);
  try {
    const out = run('node', [file], app).trim().split('\n').pop();
    console.log(`  ok   ${p.name}: ${out}`);
    results.passed++;
  } catch (e) {
    console.log(`  FAIL ${p.name}:\n${e.stderr || e.message}`);
    results.failed++;
  }
}
// Browser bundles: every library package, as installed from its tarball, must bundle for the
// browser (esbuild, platform browser, tfjs external). Node-only code has to stay behind a './node'
// entry or tensor-backend's nodeModule(), or browser users of the package cannot build.
// @ebmjs/native-kernels is a native addon, Node only: tensor-backend imports it only in Node, by a
// dynamic import that bundlers leave alone (checked by tensor-backend's own bundle here).
const NODE_ONLY = new Set(['@ebmjs/native-kernels']);
const { build } = await import('esbuild');
for (const p of pkgs) {
  if (p.cli || NODE_ONLY.has(p.name) || (only.length && !only.includes(p.dir))) continue;
  try {
    const out = await build({
      stdin: { contents: `export * from '${p.name}';`, resolveDir: app },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      external: ['@tensorflow/*'],
      logLevel: 'silent',
    });
    const kb = (out.outputFiles[0].contents.length / 1024).toFixed(0);
    console.log(`  ok   ${p.name}: bundles for the browser (${kb} KiB without tfjs)`);
    results.passed++;
  } catch (e) {
    console.log(`  FAIL ${p.name}: browser bundle: ${e.message.split('\n').slice(0, 3).join(' ')}`);
    results.failed++;
  }
}

mkdirSync(join(root, 'test-results'), { recursive: true });
writeFileSync(join(root, 'test-results', 'pack-test.json'), JSON.stringify(results));
rmSync(work, { recursive: true, force: true });
console.log(`pack-test: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
