// Bench "browser-step": the ebmjs training pipeline of cd-iteration (./cd-pipeline.mjs: book conv
// net from convEnergyNet, sgld with the book's settings, ReplayBuffer, createCDTrainer; batch 128)
// in headless Chromium on tfjs-backend-wasm, against the PyTorch CPU reference in the same run
// (issue 7: the ratio of the *browser* wasm path to PyTorch).
//   1. esbuild bundles ./browser-step.page.mjs (tfjs, tfjs-backend-wasm, @ebmjs/*) into a temp
//      dir (os.tmpdir(), removed afterwards).
//   2. A node:http server on 127.0.0.1 serves the bundle and tfjs-backend-wasm's .wasm files
//      twice: under /iso/ with Cross-Origin-Opener-Policy: same-origin and
//      Cross-Origin-Embedder-Policy: require-corp (cross-origin isolated: SharedArrayBuffer, so
//      tfjs loads its threaded SIMD binary), and under /plain/ without them (SIMD binary, no
//      threads, as on a static host that cannot set headers).
//      Pages: browser-coi (COOP/COEP, tfjs's default thread count, which is
//      navigator.hardwareConcurrency / 2 = 1 on a 2-CPU machine), browser-coi-2t (COOP/COEP,
//      setThreadsCount(2) with hardwareConcurrency overridden to 4 to lift that cap; --no-2t
//      skips it) and browser-plain (no COOP/COEP; --no-plain skips it).
//   3. Debian's /usr/bin/chromium, driven by playwright-core, opens one page per variant; the
//      page's initBackend({ backend: 'wasm' }) registers ebmjs's conv-gradient fills. Timings
//      are taken in the page (performance.now) and returned through page.evaluate.
//   4. The same pipeline in Node (wasm, 1 thread) for browser-vs-Node (--no-node skips it) and
//      the PyTorch workers of cd-iteration (lib.mjs startTorchWorkers: 2 threads, 1 thread,
//      2 threads OMP_WAIT_POLICY=PASSIVE; EBMJS_BENCH_NO_TORCH=1 skips them) are timed in
//      interleaved rounds with the pages (lib.mjs interleave).
// Standalone: node bench/browser-step.mjs [--quick] [--no-2t] [--no-plain] [--no-node] [--no-passive];
// or node bench/run.mjs browser-step [...]. Needs the built dist/ of the packages, esbuild and
// playwright-core (hoisted to the root node_modules from packages/datasets and apps/docs) and
// /usr/bin/chromium (EBMJS_CHROMIUM overrides it; never `npx playwright install`).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convEnergyNet } from '@ebmjs/energy-nets';
import { initBackend } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { realBatch } from './cd-iteration.mjs';
import { BATCH, cdTrainer, SGLD, STEPS, sgldChain } from './cd-pipeline.mjs';
import {
  assertChecks,
  benchDir,
  bundlePage,
  CHROMIUM,
  CHROMIUM_ARGS,
  fmtMs,
  fmtRatio,
  interleave,
  launchChromium,
  loadavg,
  machineInfo,
  SETTLE_MS,
  startTorchWorkers,
  summarize,
  table,
} from './lib.mjs';

export const name = 'browser-step';
export const description =
  "ebmjs's CD pipeline (convEnergyNet + sgld + ReplayBuffer + createCDTrainer, batch 128) in headless Chromium on tfjs wasm (threads on with COOP/COEP, off without), bundled with esbuild: ms per Langevin step and per training iteration vs PyTorch CPU 1 and 2 threads (and Node wasm), interleaved";

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Serves /<variant>/index.html, /<variant>/bundle.js and /<variant>/wasm/*.wasm for the variants
 * 'iso' (COOP/COEP headers) and 'plain' (none). Resolves to { origin, close, requests }.
 */
async function serve(bundlePath) {
  const require = createRequire(import.meta.url);
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const files = new Map([
    [
      'index.html',
      [
        'text/html; charset=utf-8',
        Buffer.from(
          '<!doctype html><meta charset="utf-8"><title>ebmjs browser-step</title>' +
            '<link rel="icon" href="data:,">' +
            '<script src="bundle.js"></script>',
        ),
      ],
    ],
    ['bundle.js', ['text/javascript; charset=utf-8', readFileSync(bundlePath)]],
  ]);
  for (const f of [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ]) {
    const p = join(wasmDir, 'dist', f);
    if (existsSync(p)) files.set(`wasm/${f}`, ['application/wasm', readFileSync(p)]);
  }
  const requests = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const m = /^\/(iso|plain)\/(.*)$/.exec(path);
    const file = m && files.get(m[2] === '' ? 'index.html' : m[2]);
    requests.push(`${file ? 200 : 404} ${path}`);
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': file[0],
      'Content-Length': file[1].length,
      'Cache-Control': 'no-store',
      ...(m[1] === 'iso' ? ISOLATION_HEADERS : {}),
    });
    res.end(file[1]);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * The page variants: `path` picks the served headers ('iso' = COOP/COEP, 'plain' = none);
 * `threads` / `hardwareConcurrency` go to the page's init (see browser-step.page.mjs).
 */
const VARIANTS = [
  { key: 'browser-coi', path: 'iso', what: 'COOP/COEP', detail: 'default' },
  {
    key: 'browser-coi-2t',
    path: 'iso',
    threads: 2,
    hardwareConcurrency: 4,
    what: 'COOP/COEP',
    detail: 'forced',
    flag: '--no-2t',
  },
  { key: 'browser-plain', path: 'plain', what: 'no COOP/COEP', flag: '--no-plain' },
];

/** Opens one page of variant `v` in its own browser context, loads the backend and warms up. */
async function openPage(browser, origin, v, real, log) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') {
      errors.push(`console.${msg.type()}: ${msg.text()}`);
    }
  });
  const base = `${origin}/${v.path}/`;
  await page.goto(base);
  await page.waitForFunction(() => globalThis.ebmBench !== undefined, null, { timeout: 60_000 });
  const info = await page.evaluate((o) => globalThis.ebmBench.init(o), {
    wasmPath: `${base}wasm/`,
    threads: v.threads,
    hardwareConcurrency: v.hardwareConcurrency,
  });
  const warm = await page.evaluate((r) => globalThis.ebmBench.setup({ real: r }), real);
  const n = info.threadsCount;
  const label = `browser wasm ${v.what}, ${n} thread${n === 1 ? '' : 's'}${info.relaxedSimd ? ', FMA convs' : ''}${v.detail ? ` (${v.detail})` : ''}`;
  log(
    `${v.key}: crossOriginIsolated ${info.crossOriginIsolated}, WASM_HAS_MULTITHREAD_SUPPORT ` +
      `${info.multithread}, SIMD ${info.simd}, relaxed-SIMD FMA convs ${info.relaxedSimd}, threads ${n} (hardwareConcurrency ` +
      `${info.hardwareConcurrency}${info.hardwareConcurrencyOverride ? `, overridden to ${v.hardwareConcurrency}` : ''}` +
      `, pthread workers running ${info.pthreadWorkersRunning}), wasm init ${info.initMs} ms; ` +
      `warm-up steps ${warm.steps.map((x) => x.toFixed(0)).join(' ')} ms, iteration ` +
      `${warm.iters.map((x) => x.toFixed(0)).join(' ')} ms`,
  );
  return { ...v, label, context, page, info, warm, errors };
}

export async function run({ quick = false, args = [], log = console.log } = {}) {
  const rounds = quick ? 2 : 5;
  const stepsPerRound = 3;
  const withNode = !args.includes('--no-node');
  const loads = { start: loadavg(), rounds: [] };
  const checks = {};

  const real = await realBatch(log);
  const realForPage = { data: Array.from(real.data), shape: real.shape };

  const dir = mkdtempSync(join(tmpdir(), 'ebmjs-browser-step-'));
  let server;
  let browser;
  const workers = [];
  try {
    // ---- bundle, serve, launch ----
    const t0 = performance.now();
    const bundled = await bundlePage(join(benchDir, 'browser-step.page.mjs'), dir);
    const bundleMs = performance.now() - t0;
    server = await serve(bundled.path);
    browser = await launchChromium();
    log(
      `bundle ${(bundled.bytes / 2 ** 20).toFixed(1)} MiB in ${bundleMs.toFixed(0)} ms (${basename(dir)}); ` +
        `chromium ${browser.version()}; ${server.origin}`,
    );
    const pages = [];
    for (const v of VARIANTS) {
      if (!v.flag || !args.includes(v.flag)) {
        pages.push(await openPage(browser, server.origin, v, realForPage, log));
      }
    }

    // ---- Node wasm (1 thread), the same pipeline ----
    let node = null;
    if (withNode) {
      const info = await initBackend({ backend: 'wasm' });
      const tensors0 = tf.memory().numTensors;
      const model = convEnergyNet({ seed: 1 });
      const chain = sgldChain(model);
      const cd = cdTrainer(model, real);
      for (let i = 0; i < 3; i++) chain.step();
      cd.iter();
      node = { info, tensors0, tensorsWarm: tf.memory().numTensors, model, chain, cd };
    }

    // ---- PyTorch ----
    workers.push(...(await startTorchWorkers({ batch: BATCH, steps: STEPS, args, log })));

    // ---- interleaved rounds ----
    const impls = [
      ...pages.map((p) => ({
        key: p.key,
        label: p.label,
        step: () => p.page.evaluate(() => globalThis.ebmBench.step()),
        iter: () => p.page.evaluate(() => globalThis.ebmBench.iter()),
      })),
      ...(node
        ? [
            {
              key: 'node-wasm',
              label: 'Node wasm, 1 thread',
              step: async () => node.chain.step(),
              iter: async () => node.cd.iter(),
            },
          ]
        : []),
      ...workers.map((w) => ({
        key: w.key,
        label: `PyTorch ${w.info.version}, ${w.label}`,
        step: () => w.step(),
        iter: () => w.iter(),
      })),
    ];
    const tensorsByRound = Object.fromEntries(pages.map((p) => [p.key, []]));
    const samples = await interleave(impls, {
      rounds,
      stepsPerRound,
      onRound: async () => {
        loads.rounds.push(loadavg());
        for (const p of pages) {
          tensorsByRound[p.key].push(await p.page.evaluate(() => globalThis.ebmBench.numTensors()));
        }
      },
    });
    loads.end = loadavg();

    // ---- checks ----
    const pageResults = {};
    let requests404 = [];
    for (const p of pages) {
      const fin = await p.page.evaluate(() => globalThis.ebmBench.finish());
      for (const [k, v] of Object.entries(fin.checks)) checks[`${p.key}: ${k}`] = v;
      checks[`${p.key}: no page errors or console warnings`] =
        p.errors.length === 0 || p.errors.join(' | ');
      checks[`${p.key}: tensors constant across rounds`] = tensorsByRound[p.key].every(
        (n) => n === tensorsByRound[p.key][0],
      );
      if (p.path === 'iso') {
        checks[`${p.key}: cross-origin isolated, threaded wasm`] =
          p.info.crossOriginIsolated && p.info.multithread;
      }
      if (p.threads)
        checks[`${p.key}: runs ${p.threads} threads`] = p.info.threadsCount === p.threads;
      const { page: _p, context: _c, ...rest } = p;
      pageResults[p.key] = { ...rest, losses: fin.losses };
    }
    requests404 = server.requests.filter((r) => r.startsWith('404'));
    if (node) {
      checks['node-wasm: tensors leaked over the timed rounds (sampler chain + trainer)'] =
        tf.memory().numTensors - node.tensorsWarm;
      checks['node-wasm sgld: samples finite and inside the clamp'] = node.chain.finish();
      node.cd.dispose();
      node.model.dispose();
      checks['node-wasm: tensors left after disposing model, chain and optimizer'] =
        tf.memory().numTensors - node.tensors0;
    }

    // ---- report ----
    const res = Object.fromEntries(
      impls.map((m) => [
        m.key,
        {
          label: m.label,
          langevinStep: summarize(samples[m.key].step),
          trainIter: summarize(samples[m.key].iter),
        },
      ]),
    );
    const ref = res[impls[0].key];
    const rows = [
      [
        'implementation',
        'langevin step ms',
        '(min)',
        'train iter ms',
        '(min)',
        `step vs ${impls[0].key}`,
        `iter vs ${impls[0].key}`,
      ],
    ];
    for (const m of impls) {
      const r = res[m.key];
      rows.push([
        m.label,
        fmtMs(r.langevinStep.medianMs),
        fmtMs(r.langevinStep.minMs),
        fmtMs(r.trainIter.medianMs),
        fmtMs(r.trainIter.minMs),
        fmtRatio(r.langevinStep.medianMs, ref.langevinStep.medianMs),
        fmtRatio(r.trainIter.medianMs, ref.trainIter.medianMs),
      ]);
    }
    log(table(rows));
    const ratios = {};
    const ratioRows = [
      [
        'ebmjs / PyTorch: median (min/min)',
        ...workers.map((w) => `step / ${w.key.replace('pytorch-', 'torch ')}`),
        ...workers.map((w) => `iter / ${w.key.replace('pytorch-', 'torch ')}`),
      ],
    ];
    const cell = (a, b) => `${fmtRatio(a.medianMs, b.medianMs)} (${fmtRatio(a.minMs, b.minMs)})`;
    for (const m of impls.filter((i) => !i.key.startsWith('pytorch'))) {
      const a = res[m.key];
      for (const w of workers) {
        const b = res[w.key];
        ratios[`${m.key}/${w.key}`] = {
          langevinStep: a.langevinStep.medianMs / b.langevinStep.medianMs,
          langevinStepMin: a.langevinStep.minMs / b.langevinStep.minMs,
          trainIter: a.trainIter.medianMs / b.trainIter.medianMs,
          trainIterMin: a.trainIter.minMs / b.trainIter.minMs,
        };
      }
      ratioRows.push([
        m.label,
        ...workers.map((w) => cell(a.langevinStep, res[w.key].langevinStep)),
        ...workers.map((w) => cell(a.trainIter, res[w.key].trainIter)),
      ]);
    }
    if (ratioRows.length > 1) log(`\n${table(ratioRows)}\n(> 1 = ebmjs slower)`);
    log(
      `${rounds} interleaved rounds of ${stepsPerRound} Langevin steps and 1 training iteration per ` +
        `implementation (medians of ${rounds * stepsPerRound} steps and ${rounds} iterations, after ` +
        `3 + 1 warm-up; ${SETTLE_MS} ms idle before each); batch ${BATCH}, ${STEPS} SGLD steps per iteration; real batch: ${real.source}`,
    );
    log(
      `load average: start ${loads.start}; after each round ${loads.rounds.join(' | ')}; end ${loads.end}`,
    );
    for (const p of pages) {
      log(`${p.key} trainer losses (warm-up first): ${pageResults[p.key].losses.join(', ')}`);
    }
    if (requests404.length) log(`server 404s: ${requests404.join(', ')}`);
    assertChecks('browser-step', checks, log);
    return {
      name,
      description,
      batch: BATCH,
      stepsPerIter: STEPS,
      sgld: SGLD,
      rounds,
      stepsPerRound,
      chromium: { executable: CHROMIUM, version: browser.version(), args: CHROMIUM_ARGS },
      bundle: { bytes: bundled.bytes, ms: Math.round(bundleMs) },
      pages: pageResults,
      node: node ? { simd: node.info.simd, threads: node.info.threads } : null,
      loadavg: loads,
      tensorsByRound,
      results: res,
      pytorch: workers.map((w) => ({ key: w.key, label: w.label, env: w.env, ...w.info })),
      ratios,
      checks,
    };
  } finally {
    for (const w of workers) w.close();
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  console.log(machineInfo());
  await run({ quick: args.includes('--quick'), args });
}
