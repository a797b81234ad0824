// Builds the native kernels (native/*.c -> build/Release/ebmjs_kernels.node) with node-gyp, on
// install and in the package's build. Never fails the install: without a C compiler (or on an
// unsupported platform) it says why and exits 0, and @ebmjs/tensor-backend keeps its wasm
// kernels. Skips the build when the addon is newer than its sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'ebmjs_kernels.node');
// the addon's inputs: every file in native/ and binding.gyp
const sources = readdirSync(join(root, 'native'))
  .map((f) => join(root, 'native', f))
  .concat(join(root, 'binding.gyp'));

if (process.env.EBMJS_NATIVE_KERNELS_BUILD === '0') {
  console.log(
    '@ebmjs/native-kernels: EBMJS_NATIVE_KERNELS_BUILD=0, not building the native kernels',
  );
  process.exit(0);
}
if (existsSync(addon)) {
  const built = statSync(addon).mtimeMs;
  if (sources.every((s) => statSync(s).mtimeMs <= built)) {
    console.log('@ebmjs/native-kernels: native kernels up to date');
    process.exit(0);
  }
}

// node-gyp: npm's own (npm sets npm_config_node_gyp in its scripts), else the one beside this
// Node's npm, else whatever is on PATH.
const bundled = join(
  dirname(process.execPath),
  '..',
  'lib',
  'node_modules',
  'npm',
  'node_modules',
  'node-gyp',
  'bin',
  'node-gyp.js',
);
const gyp = process.env.npm_config_node_gyp ?? (existsSync(bundled) ? bundled : undefined);
const args = ['rebuild'];
// Headers: this Node's own when it has them (no download; npm passes its nodedir setting itself).
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const result = gyp
  ? spawnSync(process.execPath, [gyp, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    })
  : spawnSync('node-gyp', args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      shell: process.platform === 'win32',
    });
if (result.status === 0 && existsSync(addon)) {
  console.log('@ebmjs/native-kernels: built the native kernels');
} else {
  // the compiler's own errors first (node-gyp's summary lines say little), else the last lines
  const lines = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.split('\n');
  const errors = lines.filter((l) => /error/i.test(l) && !l.startsWith('gyp ERR!'));
  const why =
    result.error?.message ?? (errors.length ? errors : lines.slice(-6)).slice(0, 12).join('\n');
  console.warn(
    `@ebmjs/native-kernels: could not build the native kernels (ebmjs will use its wasm kernels):\n${why}`,
  );
}
