// Browser test for the built docs site: `npm run build && npm run e2e` (in apps/docs).
//
// Serves dist/ with `astro preview` on a free localhost port, drives Debian's Chromium through
// playwright-core, and checks the home page, the live backend page (the numbers the page computes
// with TensorFlow.js must equal the ones computed here in plain Node) and the live demos (each runs
// for a bounded number of steps with finite metrics and a flat tensor count). The browser must log
// no console errors and throw no page errors. Screenshots go to test-results/; a summary
// { passed, failed } goes to <repo root>/test-results/docs-e2e.json for the root test summary.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, test as nodeTest } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../../scripts/chromium.mjs';
import { discoverPackages } from '../config/packages.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const resultsDir = join(root, 'test-results');
const repoResultsDir = join(root, '../../test-results');
const RESULT_TIMEOUT_MS = 60_000;

// ---- expected values, computed independently of the page (same formulas as src/scripts/demo-compute.ts)
const N = 64;
const matA = (i, k) => (((7 * i + 3 * k) % 11) - 5) / 8;
const matB = (k, j) => (((5 * k + 2 * j) % 13) - 6) / 16;
const GRAD_POINTS = [-2, -1, -0.5, 0, 0.5, 1, 2];

// keep in sync with src/scripts/demo-compute.ts
const SGLD_X = [0.5, -2, Number.NaN, 1, 3, -0.25, 0, 7, -7, 2, 1e-3, -1e-3, 4, 5, -5];
const SGLD_G = [1, Number.NaN, 0.5, -Infinity, 2, -3, 0.1, 0, 1, -1, Infinity, 0.2, -0.2, 9, -9];
const SGLD_CASES = [
  { stepSize: 0.5, gradClip: 1, clamp: [-1.5, 1.5] },
  { stepSize: 2 },
  { stepSize: -1, clamp: [0, 3] },
  { stepSize: 0.3, gradClip: 0.25 },
];

/**
 * sgldUpdate per value, in float32 steps: clip g, x - c * stepSize, clamp; NaN stays NaN (Math.min
 * and Math.max keep it), an infinite g is clipped, x - inf is -inf unless clamped.
 */
function expectedSgld() {
  const f = Math.fround;
  return SGLD_CASES.map(({ stepSize, gradClip, clamp }) =>
    SGLD_X.map((v, i) => {
      const x = f(v + i / 100);
      const g = f(SGLD_G[i]);
      const c = gradClip === undefined ? g : Math.min(Math.max(g, -gradClip), gradClip);
      const y = f(x - f(c * f(stepSize)));
      return clamp ? Math.min(Math.max(y, clamp[0]), clamp[1]) : y;
    }),
  );
}

function expected() {
  let sum = 0;
  let trace = 0;
  const c = (i, j) => {
    let s = 0;
    for (let k = 0; k < N; k++) s += matA(i, k) * matB(k, j);
    return s;
  };
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const v = c(i, j);
      sum += v;
      if (i === j) trace += v;
    }
  }
  const grad = GRAD_POINTS.map((x) => 2 * x * Math.sin(x) + x * x * Math.cos(x));
  const swishGrad = GRAD_POINTS.map((x) => {
    const sg = 1 / (1 + Math.exp(-x));
    return sg + x * sg * (1 - sg);
  });
  return {
    sum,
    trace,
    first: c(0, 0),
    last: c(N - 1, N - 1),
    grad,
    conv: expectedConv(),
    swishGrad,
    sgld: expectedSgld(),
  };
}

/**
 * conv2d + bias of the demo by direct summation: 9x9x3 input, 3x3x3x8 filter, stride 2, 'same'
 * (output 5x5: tfjs pads (5 - 1) * 2 + 3 - 9 = 2 rows/columns, 1 before and 1 after).
 */
function expectedConv() {
  const cx = (y, x, c) => (((3 * y + 5 * x + 7 * c) % 17) - 8) / 8;
  const cw = (a, b, c, o) => (((2 * a + 3 * b + 5 * c + 7 * o) % 19) - 9) / 16;
  const out = [];
  for (let oy = 0; oy < 5; oy++) {
    for (let ox = 0; ox < 5; ox++) {
      for (let o = 0; o < 8; o++) {
        let s = (o - 3.5) / 8;
        for (let a = 0; a < 3; a++) {
          for (let b = 0; b < 3; b++) {
            const y = oy * 2 - 1 + a;
            const x = ox * 2 - 1 + b;
            if (y < 0 || y >= 9 || x < 0 || x >= 9) continue;
            for (let c = 0; c < 3; c++) s += cx(y, x, c) * cw(a, b, c, o);
          }
        }
        out.push(s);
      }
    }
  }
  return out;
}

// ---- counting: every test is registered through `test`, so that the summary counts a test that
// never ran (a failed `before`) as failed

let registered = 0;
let passed = 0;
const t0 = Date.now();
function test(name, fn) {
  registered += 1;
  nodeTest(name, async (t) => {
    await fn(t);
    passed += 1;
  });
}

// ---- server

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startPreview() {
  const port = await freePort();
  const astroPkg = createRequire(import.meta.url).resolve('astro/package.json');
  const bin = join(dirname(astroPkg), 'astro.js');
  const child = spawn(
    process.execPath,
    [bin, 'preview', '--host', '127.0.0.1', '--port', String(port)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
      detached: true, // own process group, so that kill(-pid) takes any children with it
    },
  );
  let log = '';
  child.stdout.on('data', (d) => {
    log += d;
  });
  child.stderr.on('data', (d) => {
    log += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`astro preview exited early:\n${log}`);
    try {
      const res = await fetch(`${url}/`);
      if (res.ok) return { child, url, log: () => log };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`astro preview did not answer on ${url} within 30 s:\n${log}`);
}

function stopPreview(child) {
  if (!child || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
}

// ---- test setup

let server;
let browser;
/** @type {Map<import('playwright-core').Page, string[]>} */
const problems = new Map();

async function openPage(path) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errs = [];
  problems.set(page, errs);
  page.on('console', (msg) => {
    if (msg.type() === 'error') errs.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errs.push(`page error: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 400) errs.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  page.on('requestfailed', (req) => {
    // ERR_ABORTED is a request cancelled by navigating away, not a failure; 4xx/5xx are caught above
    const why = req.failure()?.errorText;
    if (why !== 'net::ERR_ABORTED') errs.push(`request failed: ${req.url()} (${why})`);
  });
  const res = await page.goto(`${server.url}${path}`, { waitUntil: 'networkidle' });
  assert.equal(res?.status(), 200, `GET ${path} should answer 200`);
  return { page, errs };
}

before(async () => {
  if (!existsSync(join(root, 'dist/index.html'))) {
    throw new Error('apps/docs/dist is missing: run `npm run build` in apps/docs first');
  }
  mkdirSync(resultsDir, { recursive: true });
  server = await startPreview();
  browser = await launchChromium();
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    stopPreview(server?.child);
    const failed = registered - passed;
    mkdirSync(repoResultsDir, { recursive: true });
    writeFileSync(join(repoResultsDir, 'docs-e2e.json'), `${JSON.stringify({ passed, failed })}\n`);
    console.log(`# docs e2e took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`${passed} passed, ${failed} failed`);
  }
});

// ---- tests

test('home page renders with title and package list', async () => {
  const { page, errs } = await openPage('/');
  assert.match(await page.title(), /ebmjs/);
  const body = await page.locator('main').textContent();
  assert.match(body, /energy-based model/i);
  assert.match(body, /@ebmjs\/tensor-backend/);
  // every local link on the home page (packages, live examples) resolves
  const links = await page
    .locator('main a[href^="/"]')
    .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.includes('/live/rbm/'), 'home page links the live examples');
  for (const href of new Set(links)) {
    const res = await page.request.get(`${server.url}${href}`);
    assert.equal(res.status(), 200, `${href} (linked from the home page) should exist`);
  }
  // the sidebar lists the package pages and the live examples
  await page.goto(`${server.url}/getting-started/`, { waitUntil: 'networkidle' });
  const nav = await page.locator('nav[aria-label="Main"]').textContent();
  assert.match(nav, /Packages/);
  assert.match(nav, /tensor-backend/);
  assert.match(nav, /Live examples/);
  assert.match(nav, /API reference/);
  await page.goto(`${server.url}/`, { waitUntil: 'networkidle' });
  await page.screenshot({ path: join(resultsDir, 'home.png'), fullPage: true });
  assert.deepEqual(errs, [], 'no console errors, page errors or failed requests');
  await page.close();
});

test('gallery shows the CLI pictures with the commands that made them', async () => {
  const { page, errs } = await openPage('/gallery/');
  const images = await page
    .locator('main img')
    .evaluateAll((imgs) => imgs.map((i) => ({ src: i.getAttribute('src'), w: i.naturalWidth })));
  assert.ok(images.length >= 4, `gallery has its pictures (found ${images.length})`);
  for (const { src, w } of images) assert.ok(w > 0, `${src} decodes to an image`);
  const code = await page.locator('main pre').allTextContents();
  assert.ok(
    code.some((c) => c.includes('ebm train mnist')),
    'the command that made the pictures is shown',
  );
  assert.deepEqual(errs, [], 'no console errors, page errors or failed requests');
  await page.close();
});

test('API reference index lists every documented package; sidebar links all resolve', async () => {
  const { page, errs } = await openPage('/api/');
  const links = await page
    .locator('.sl-markdown-content a[href^="/api/"]')
    .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const documented = discoverPackages().map((p) => `/api/${p.dir}/`);
  assert.deepEqual(links.sort(), documented.sort(), 'one link per package with src/index.ts');
  const sidebar = await page
    .locator('nav[aria-label="Main"] a[href^="/"]')
    .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(sidebar.length > documented.length, 'sidebar has links');
  for (const href of new Set([...links, ...sidebar])) {
    const res = await page.request.get(`${server.url}${href}`);
    assert.equal(res.status(), 200, `${href} should exist`);
  }
  assert.deepEqual(errs, []);
  await page.close();
});

const want = expected();

/**
 * Opens the live page (optionally forcing a backend), waits for data-state="done" and checks the
 * numbers. Tolerances: the matrices hold multiples of 1/8 and 1/16 with small numerators, so every
 * product and partial sum of the matmul is a multiple of 1/128 below 2^24/128 and is exact in
 * float32 on every backend; we still allow 1e-6 relative slack. The gradient goes through float32
 * sin/cos: on cpu and wasm they are accurate to about one ulp (|values| < 5, float32 eps 1.2e-7, a
 * few roundings), so 1e-5 absolute is ample. GPU shader sin/cos have no precision guarantee in
 * GLSL/WGSL (SwiftShader's webgl measured 1.5e-4 off at x = -2), so webgl/webgpu get 1e-3. Both
 * are far below any real error: a wrong derivative formula is off by > 0.1 at these points.
 */
async function checkLivePage(query, screenshot) {
  const { page, errs } = await openPage(`/live/backend/${query}`);
  const result = page.getByTestId('result');
  await page.waitForFunction(
    () =>
      ['done', 'error'].includes(
        document.querySelector('[data-testid="result"]')?.dataset.state ?? '',
      ),
    null,
    { timeout: RESULT_TIMEOUT_MS },
  );
  const state = await result.getAttribute('data-state');
  const status = await page.getByTestId('status').textContent();
  assert.equal(state, 'done', `live page finished with state "${state}": ${status}`);
  const got = JSON.parse(await page.getByTestId('result-json').textContent());
  const shown = await page.getByTestId('backend-name').textContent();
  assert.equal(shown, got.backend, 'backend name shown on the page');
  assert.ok(
    ['webgpu', 'webgl', 'wasm', 'cpu'].includes(got.backend),
    `unexpected backend ${got.backend}`,
  );
  for (const key of ['sum', 'trace', 'first', 'last']) {
    const tol = 1e-6 * Math.max(1, Math.abs(want[key]));
    assert.ok(
      Math.abs(got.matmul[key] - want[key]) <= tol,
      `matmul ${key}: got ${got.matmul[key]}, want ${want[key]}`,
    );
  }
  assert.equal(got.grad.length, want.grad.length);
  const gradTol = got.backend === 'cpu' || got.backend === 'wasm' ? 1e-5 : 1e-3;
  got.grad.forEach((g, i) => {
    assert.ok(
      Math.abs(g - want.grad[i]) <= gradTol,
      `grad[${i}] at x=${GRAD_POINTS[i]}: got ${g}, want ${want.grad[i]}`,
    );
  });
  // the conv2d + bias every energy net runs (on wasm: ebmjs's FMA kernel where relaxed SIMD is on)
  assert.equal(got.conv.length, want.conv.length, 'conv outputs');
  got.conv.forEach((v, i) => {
    assert.ok(Math.abs(v - want.conv[i]) <= 1e-5, `conv[${i}]: got ${v}, want ${want.conv[i]}`);
  });
  // ebmjs's swish gradient and SGLD update (fused kernels on wasm and webgl, stock ops on cpu)
  got.swishGrad.forEach((g, i) => {
    assert.ok(
      Math.abs(g - want.swishGrad[i]) <= gradTol,
      `swish'(${GRAD_POINTS[i]}): got ${g}, want ${want.swishGrad[i]}`,
    );
  });
  want.sgld.forEach((row, k) => {
    row.forEach((w, i) => {
      const g = got.sgld[k][i];
      const where = `sgldUpdate case ${k} value ${i}: got ${g}, want ${w}`;
      // NaN and infinities exactly; values to float32 rounding (a GPU may fuse x - c * step)
      if (!Number.isFinite(w)) assert.equal(g, String(w), where);
      else
        assert.ok(
          typeof g === 'number' && Math.abs(g - w) <= 1e-6 * Math.max(1, Math.abs(w)),
          where,
        );
    });
  });
  if (got.backend === 'webgl' || got.backend === 'wasm') {
    for (const k of ['EbmSgldUpdate', 'EbmSwishGrad']) {
      assert.ok(got.info.kernelFills.includes(k), `${got.backend} registers ${k}`);
    }
  }
  assert.equal(await page.getByTestId('matmul-sum').textContent(), String(got.matmul.sum));
  assert.equal(
    await page.getByTestId('conv-kernels').textContent(),
    got.info?.convKernels ?? 'n/a',
    'convolutions shown on the page',
  );
  assert.ok(Number.isFinite(got.ms) && got.ms >= 0, 'time is reported');
  await page.screenshot({ path: join(resultsDir, screenshot), fullPage: true });
  assert.deepEqual(errs, [], 'no console errors, page errors or failed requests');
  await page.close();
  return got;
}

test('live backend page: automatic choice computes the right numbers', async () => {
  const got = await checkLivePage('', 'live-backend.png');
  console.log(
    `# auto: backend=${got.backend} isolated=${got.crossOriginIsolated} compute=${got.ms.toFixed(1)} ms init=${got.initMs.toFixed(0)} ms`,
  );
});

test('live backend page: wasm (served .wasm files, cross-origin isolated, threads)', async () => {
  const got = await checkLivePage('?backend=wasm', 'live-backend-wasm.png');
  assert.equal(got.backend, 'wasm');
  assert.equal(got.crossOriginIsolated, true, 'page is served with COOP/COEP');
  assert.equal(got.info.threadedBuild, true, 'the threaded wasm build loads when isolated');
  // tfjs sizes the pool at half the CPUs (1 on a 2-CPU machine)
  assert.ok(got.info.threadCount >= 1, `threadCount ${got.info.threadCount}`);
  assert.equal(got.info.threads, got.info.threadCount > 1);
  // Chromium has relaxed SIMD: the FMA convolutions run by default on a 1-thread backend
  assert.equal(got.info.relaxedSimd, got.info.threadCount === 1, 'FMA convolutions on 1 thread');
  assert.equal(
    got.info.convKernels,
    got.info.threadCount === 1 ? 'ebmjs' : 'xnnpack',
    "ebmjs's convolutions on 1 thread, XNNPACK's pool with more",
  );
  console.log(
    `# wasm: threadedBuild=${got.info.threadedBuild} threadCount=${got.info.threadCount} relaxedSimd=${got.info.relaxedSimd} compute=${got.ms.toFixed(1)} ms init=${got.initMs.toFixed(0)} ms`,
  );
});

test('live backend page: webgl with unpacked textures (the fused kernels in both layouts)', async () => {
  const got = await checkLivePage('?backend=webgl&webglPack=0', 'live-backend-webgl-unpacked.png');
  assert.equal(got.backend, 'webgl');
  assert.equal(got.webglPack, false, 'WEBGL_PACK off');
});

test('live backend page: cpu', async () => {
  const got = await checkLivePage('?backend=cpu', 'live-backend-cpu.png');
  assert.equal(got.backend, 'cpu');
});

// ---- live demos

const DEMO_TIMEOUT_MS = 90_000;

/** The status line's data attributes (see src/scripts/demo/loop.ts). */
async function statusOf(page) {
  return page.getByTestId('status').evaluate((el) => ({ ...el.dataset, text: el.textContent }));
}

async function waitForStatus(page, predicate, arg, what) {
  try {
    await page.waitForFunction(
      ([src, a]) => {
        const el = document.querySelector('[data-testid="status"]');
        // the predicate is our own function, sent as source text
        const f = new Function(`return (${src});`)();
        return el ? f({ ...el.dataset, text: el.textContent }, a) : false;
      },
      [predicate.toString(), arg],
      { timeout: DEMO_TIMEOUT_MS, polling: 100 },
    );
  } catch (e) {
    const st = await statusOf(page).catch(() => ({}));
    throw new Error(`${what}: ${e.message.split('\n')[0]}; status: ${st.text}`);
  }
}

const stepsAtLeast = (d, n) => d.state === 'error' || Number(d.steps) >= n;

/**
 * Opens a demo page, waits until it is ready, starts it, runs it to `steps`, then `steps + more`,
 * and checks: no error state, a tensor count that does not change between the two points (every
 * frame frees what it made; one-time state such as Adam moments exists by the first point), the
 * metrics `check` asks for, a pause that takes effect, no console or page errors. Screenshot of
 * the demo section. Returns the final status.
 */
async function runDemo(path, { steps, more, screenshot, before: prepare, check }) {
  const { page, errs } = await openPage(path);
  await waitForStatus(page, (d) => d.state === 'idle' || d.state === 'error', null, 'demo ready');
  assert.equal((await statusOf(page)).state, 'idle', (await statusOf(page)).text);
  if (prepare) await prepare(page);
  await page.getByTestId('start').click();
  await waitForStatus(page, stepsAtLeast, steps, `${steps} steps`);
  const first = await statusOf(page);
  assert.notEqual(first.state, 'error', first.text);
  await waitForStatus(page, stepsAtLeast, Number(first.steps) + more, `${more} more steps`);
  const second = await statusOf(page);
  assert.equal(second.state, 'running', second.text);
  assert.equal(
    second.tensors,
    first.tensors,
    `tensor count after step ${first.steps} and ${second.steps}: ${first.tensors} -> ${second.tensors}`,
  );
  await check(second, page);
  await page.getByTestId('start').click(); // pause
  await waitForStatus(page, (d) => d.state === 'paused' || d.state === 'error', null, 'pause');
  const paused = await statusOf(page);
  assert.equal(paused.state, 'paused', paused.text);
  const demo = page.locator('.ebm-demo');
  await demo.scrollIntoViewIfNeeded();
  await demo.screenshot({ path: join(resultsDir, screenshot) });
  assert.deepEqual(errs, [], 'no console errors, page errors or failed requests');
  await page.close();
  console.log(`# ${path}: ${paused.text}`);
  return paused;
}

const finite = (d, key) => {
  const v = Number(d[key]);
  assert.ok(d[key] !== undefined && Number.isFinite(v), `${key} should be finite, got ${d[key]}`);
  return v;
};

test('live Langevin demo: MALA chains run with a high acceptance rate, then ULA on the ring', async () => {
  await runDemo('/live/langevin/', {
    steps: 300,
    more: 200,
    screenshot: 'live-langevin.png',
    check: async (d, p) => {
      finite(d, 'meanEnergy');
      // MALA with ε = 0.2 on this mixture (component stds 0.4-0.7) accepts about 99% of
      // proposals (measured); 0.8 leaves room for noise while catching a broken MH ratio,
      // which drives acceptance towards 0 or leaves it undefined.
      const acc = finite(d, 'acceptance');
      assert.ok(acc > 0.8 && acc <= 1, `MALA acceptance ${acc}`);
      // switching energy and sampler while running rebuilds the chains without errors
      await p.getByTestId('energy').selectOption('ring');
      await p.getByTestId('sampler').selectOption('ula');
      await waitForStatus(
        p,
        (d, n) =>
          d.state === 'error' ||
          (d.state === 'running' && /ring · ULA/.test(d.text) && Number(d.steps) >= n),
        100,
        'ULA on the ring',
      );
      const after = await statusOf(p);
      assert.equal(after.state, 'running', after.text);
      assert.match(after.text, /ULA/);
      finite(after, 'meanEnergy');
    },
  });
});

test('live contrastive-divergence demo: CD steps with finite loss and cdiv', async () => {
  await runDemo('/live/contrastive-divergence/', {
    steps: 200,
    more: 60,
    screenshot: 'live-contrastive-divergence.png',
    check: async (d) => {
      finite(d, 'loss');
      finite(d, 'cdiv');
      // valCdiv = mean E(uniform noise) - mean E(held-out data), from trainer.validate every 10
      // steps. Training is deterministic (fixed seeds, one backend), so the value depends only on
      // the step it is read at: on eight Gaussians we measured it in [0.008, 0.037] at every
      // report from step 200 to 1060 (it dips below 0 around steps 65-95 while the buffer
      // fills). The energies stay small (the alpha regulariser), so the margin is small, but a
      // sign error in the loss drives it negative.
      const v = finite(d, 'valCdiv');
      assert.ok(
        v > 0,
        `valCdiv ${v} after ${d.steps} steps: the data should have lower energy than noise`,
      );
    },
  });
});

test('live RBM demo: trains on binarised digits and the reconstruction error falls', async () => {
  await runDemo('/live/rbm/', {
    steps: 150,
    more: 50,
    screenshot: 'live-rbm.png',
    check: async (d) => {
      // An untrained RBM (small random weights) reconstructs binarised digits at about 0.25
      // per pixel (p(v | h) near 0.5 everywhere); after 200 PCD-1 updates we measured 0.05-0.07.
      // 0.12 is well clear of both.
      const err = finite(d, 'reconstructionError');
      assert.ok(err < 0.12, `reconstruction error ${err} after ${d.steps} steps`);
      finite(d, 'freeEnergyGap');
    },
  });
});

test('live score-matching demo: DSM and exact SM steps with finite losses', async () => {
  await runDemo('/live/score-matching/', {
    steps: 80,
    more: 40,
    screenshot: 'live-score-matching.png',
    check: async (d) => {
      finite(d, 'loss');
      // separation = mean E(uniform noise) - mean E(held-out data) on two moons, every 10 steps.
      // With the demo's fixed seeds we measured at most 3.2 up to step 60 (1.0 at step 17) and
      // 8.1-11.6 at every report from step 92 to 390: 5 separates learned from not yet learned.
      const v = finite(d, 'separation');
      assert.ok(v > 5, `separation ${v} after ${d.steps} steps`);
    },
  });
  await runDemo('/live/score-matching/', {
    before: async (p) => {
      await p.getByTestId('loss').selectOption('esm');
      await waitForStatus(p, (d) => d.state === 'idle', null, 'reset to exact SM');
    },
    steps: 30,
    more: 30,
    screenshot: 'live-score-matching-esm.png',
    check: async (d) => {
      finite(d, 'loss');
    },
  });
});
