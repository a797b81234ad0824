// Copies the tfjs wasm binaries into `public/tfjs-wasm/` (gitignored) so that both `astro dev`
// and `astro build` serve them at `/tfjs-wasm/`; the live pages call `setWasmPaths('/tfjs-wasm/')`.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** @returns {import('astro').AstroIntegration} */
export function tfjsWasmFiles() {
  return {
    name: 'ebmjs-tfjs-wasm-files',
    hooks: {
      'astro:config:setup'({ config, command, logger }) {
        if (command === 'preview') return;
        const pkgJson = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
        const srcDir = path.join(path.dirname(pkgJson), 'dist');
        const outDir = path.join(fileURLToPath(config.publicDir), 'tfjs-wasm');
        fs.mkdirSync(outDir, { recursive: true });
        const files = fs.readdirSync(srcDir).filter((f) => f.endsWith('.wasm'));
        if (files.length === 0) throw new Error(`No .wasm files found in ${srcDir}`);
        for (const f of files) fs.copyFileSync(path.join(srcDir, f), path.join(outDir, f));
        logger.info(`copied ${files.length} tfjs wasm file(s) to public/tfjs-wasm/`);
      },
    },
  };
}
