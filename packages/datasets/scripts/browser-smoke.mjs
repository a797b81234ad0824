// Browser smoke test of the main entry: bundles a small page with esbuild (the bundled MNIST
// lands in its own lazily loaded chunk), serves it, loads it in headless Chromium and checks
// what the page reports. Run after `npm run build`:  node scripts/browser-smoke.mjs
// Needs Chromium (CHROMIUM=/path, default /usr/bin/chromium).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = await mkdtemp(join(tmpdir(), 'ebmjs-datasets-smoke-'));
const entryDir = join(pkg, '.smoke');
await mkdir(entryDir, { recursive: true });
const entry = join(entryDir, 'entry.mjs');
await writeFile(
  entry,
  `import { loadMnist, toy, batches, imageGrid, encodePng, drawToCanvas } from '@ebmjs/datasets';
const out = {};
try {
  const m = await loadMnist({ n: 64 });
  out.shape = m.shape;
  out.range = [Math.min(...m.data), Math.max(...m.data)];
  out.toy = toy('pinwheel', { n: 3, seed: 0 }).shape;
  let c = 0;
  for (const b of batches(m, { batchSize: 10, shuffle: true, seed: 1 })) c += b.size;
  out.batched = c;
  const grid = imageGrid(m, { cols: 8 });
  const canvas = document.createElement('canvas');
  canvas.width = grid.width;
  canvas.height = grid.height;
  drawToCanvas(canvas.getContext('2d'), grid);
  out.canvasPixel = Array.from(canvas.getContext('2d').getImageData(0, 0, 1, 1).data);
  const png = await encodePng(grid);
  const img = new Image();
  img.src = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
  await img.decode();
  out.decoded = [img.width, img.height];
} catch (e) {
  out.error = String((e && e.stack) || e);
}
document.getElementById('out').textContent = JSON.stringify(out);
`,
);
try {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    splitting: true,
    outdir: out,
    logLevel: 'error',
  });
} finally {
  await rm(entryDir, { recursive: true, force: true });
}
await writeFile(
  join(out, 'index.html'),
  '<!doctype html><html><body><pre id="out">pending</pre><script type="module" src="entry.js"></script></body></html>',
);
const server = createServer(async (req, res) => {
  try {
    const p = join(out, req.url === '/' ? 'index.html' : req.url);
    const body = await readFile(p);
    res.writeHead(200, { 'content-type': p.endsWith('.js') ? 'text/javascript' : 'text/html' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const dom = await new Promise((resolve, reject) =>
  execFile(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--virtual-time-budget=20000',
      '--dump-dom',
      url,
    ],
    { timeout: 90_000, maxBuffer: 1 << 24 },
    (err, stdout) => (err ? reject(err) : resolve(stdout)),
  ),
).finally(() => server.close());
await rm(out, { recursive: true, force: true });
const text = /<pre id="out">(.*?)<\/pre>/s.exec(dom)?.[1] ?? 'no output';
let result;
try {
  result = JSON.parse(text.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
} catch {
  console.error('browser smoke: page did not finish:', text);
  process.exit(1);
}
const ok =
  !result.error &&
  JSON.stringify(result.shape) === '[64,32,32,1]' &&
  JSON.stringify(result.range) === '[-1,1]' &&
  JSON.stringify(result.toy) === '[3,2]' &&
  result.batched === 64 &&
  JSON.stringify(result.canvasPixel) === '[0,0,0,255]' &&
  JSON.stringify(result.decoded) === '[274,274]';
console.log(ok ? 'browser smoke: ok' : 'browser smoke: FAILED', result);
process.exit(ok ? 0 : 1);
