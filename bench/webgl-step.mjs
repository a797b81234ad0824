// Bench "webgl-step": the book net's SGLD step (@ebmjs/energy-nets convEnergyNet + @ebmjs/langevin
// sgld, book settings) on tfjs's webgl backend in headless Chromium, with ebmjs's fused webgl
// kernels (EbmSgldUpdate, EbmSwishGrad; kernels/webgl-fused in @ebmjs/tensor-backend) and without,
// alternating in one page. This machine has no GPU: Chromium's webgl runs on SwiftShader
// (software), so the milliseconds say little about a GPU; the shader passes per step (tf.profile)
// and the stock/fused ratio are what carry over. Batch 32 (quick: 16) keeps a step near 0.2 s.
//   node bench/run.mjs webgl-step [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertChecks,
  benchDir,
  bundlePage,
  fmtMs,
  fmtRatio,
  launchChromium,
  loadavg,
  summarize,
  table,
} from './lib.mjs';

export const name = 'webgl-step';
export const description =
  "one SGLD step of the book net on tfjs webgl in headless Chromium (SwiftShader here: no GPU), with and without ebmjs's fused webgl kernels: shader passes per step and ms, alternating in one page";

export async function run({ quick = false, log = console.log } = {}) {
  const batch = quick ? 16 : 32;
  const rounds = quick ? 2 : 6;
  const steps = 3;
  const dir = mkdtempSync(join(tmpdir(), 'ebmjs-webgl-step-'));
  let browser;
  try {
    const bundled = await bundlePage(join(benchDir, 'webgl-step.page.mjs'), dir);
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('about:blank');
    await page.addScriptTag({ path: bundled.path });
    const start = loadavg();
    const r = await page.evaluate((o) => globalThis.ebmWebgl(o), { batch, rounds, steps });
    const stock = summarize(r.ms.stock);
    const fused = summarize(r.ms.fused);
    log(
      `chromium ${browser.version()}, backend ${r.backend}, WEBGL_PACK ${r.pack}, kernel fills ${r.kernelFills.join(', ') || 'none'}; batch ${batch}`,
    );
    log(
      table([
        ['webgl SGLD step', 'shader passes', 'ms median', '(min)', 'vs stock'],
        [
          'stock kernels',
          String(r.passes.stock),
          fmtMs(stock.medianMs),
          fmtMs(stock.minMs),
          '1.00x',
        ],
        [
          'fused (EbmSgldUpdate, EbmSwishGrad)',
          String(r.passes.fused),
          fmtMs(fused.medianMs),
          fmtMs(fused.minMs),
          fmtRatio(fused.medianMs, stock.medianMs),
        ],
      ]),
    );
    log(
      `${rounds} alternating rounds of ${steps} steps per side; load average ${start} -> ${loadavg()}; one update from the same chains differs by at most ${r.maxDiff}`,
    );
    const checks = {
      'webgl-step: the page ran on webgl': r.backend === 'webgl',
      'webgl-step: the fused kernels were registered': r.kernelFills.length === 2,
      'webgl-step: fewer shader passes with them': r.passes.fused < r.passes.stock,
      'webgl-step: one update agrees with the stock kernels (<= 1e-6)': r.maxDiff <= 1e-6,
      'webgl-step: tensors leaked over the timed steps': r.leaked,
      'webgl-step: no page errors': errors.length === 0,
    };
    assertChecks(name, checks, log);
    return { batch, rounds, steps, passes: r.passes, stock, fused, maxDiff: r.maxDiff, checks };
  } finally {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
