import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { apiReference } from './config/api-reference.mjs';
import { packagePages } from './config/package-pages.mjs';
import { tfjsWasmFiles } from './config/tfjs-wasm.mjs';

const api = apiReference();

// Cross-origin isolation lets the tfjs wasm backend use threads (SharedArrayBuffer).
// `server.headers` applies to both `astro dev` and `astro preview`.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolationHeaders },
  // the live pages bundle TensorFlow.js (about 1.8 MB minified, 290 kB gzipped)
  vite: { build: { chunkSizeWarningLimit: 2500 } },
  integrations: [
    tfjsWasmFiles(),
    packagePages(),
    starlight({
      title: 'ebmjs',
      description: 'Energy-based models for JavaScript and TypeScript on TensorFlow.js.',
      plugins: api.plugins,
      sidebar: [
        { label: 'Start here', items: ['getting-started', 'gallery'] },
        // One page per package: src/content/docs/packages/<dir>.md(x), or packages/<dir>/DOCS.md
        // (copied in by config/package-pages.mjs).
        { label: 'Packages', autogenerate: { directory: 'packages' } },
        { label: 'Live examples', autogenerate: { directory: 'live' } },
        api.sidebar,
      ],
    }),
  ],
});
