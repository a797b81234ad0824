import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '@ebmjs/datasets';
import { exactLogZ, loadRBM, logLikelihood } from '@ebmjs/rbm';
import { InvalidArgumentError, initBackend } from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { type RbmMnistOptions, trainRbmMnist } from './rbm-mnist.js';

// The job in-process (the CLI end-to-end test is in cli.test.ts): small enough that log Z can be
// enumerated exactly (12 hidden units), so the AIS estimate assembled from chunks can be checked.
const dir = mkdtempSync(join(tmpdir(), 'ebm-rbm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const tiny = (out: string): RbmMnistOptions => ({
  out: join(dir, out),
  hidden: 12,
  epochs: 2,
  batchSize: 20,
  k: 1,
  pcd: false,
  limit: 200,
  test: 50,
  plDigits: 10,
  lr: 0.05,
  momentum: 0.5,
  weightDecay: 1e-4,
  binarize: 0.5,
  aisChains: 4,
  aisBetas: 20,
  gibbsSteps: 10,
  samples: 4,
  seed: 0,
  quiet: true,
  overwrite: true,
  log: () => {},
});

describe('trainRbmMnist', () => {
  it('AIS combined over several chunks of chains agrees with the exact log Z', async () => {
    const lines: string[] = [];
    // 30 chains = 2 calls of 15, combined into one estimate
    const r = await trainRbmMnist({
      ...tiny('exact'),
      plDigits: 100, // more than --test: all 50 held-out digits
      aisChains: 30,
      aisBetas: 100,
      log: (l) => lines.push(l),
    });
    expect(r.stopped).toBe(false);
    expect(r.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(r.history.every((h) => Number.isFinite(h.testPseudoLikelihood))).toBe(true);
    const rbm = await loadRBM(join(r.out, 'rbm.json'));
    const logZ = exactLogZ(rbm);
    const digits = await loadMnist({ n: 250, binarize: 0.5, pad: false, flatten: true });
    const test = { data: digits.data.subarray(200 * 784), shape: [50, 784] };
    const exactLL = logLikelihood(rbm, test, { logZ });
    rbm.dispose();
    const a = r.ais!;
    expect(a.runs).toBe(30);
    expect(a.effectiveSampleSize).toBeGreaterThan(10);
    // measured: within 0.002 of the exact value (standard error 0.01, effective sample size 29.9)
    expect(Math.abs(a.logZ - logZ)).toBeLessThan(Math.max(0.1, 4 * a.logZStdErr));
    expect(a.testLogLikelihood - exactLL).toBeCloseTo(logZ - a.logZ, 3);
    expect(lines.join('\n')).toContain('pseudo-log-likelihood (50 held-out digits)');
    expect(lines.join('\n')).toContain(
      `AIS log-likelihood (50 held-out digits): ${a.testLogLikelihood.toFixed(2)}`,
    );
    for (const f of ['rbm.json', 'filters.png', 'samples.png', 'metrics.csv', 'summary.json']) {
      expect(existsSync(join(r.out, f)), f).toBe(true);
    }
  });

  it('does not leak tensors (CD and PCD)', async () => {
    await expectNoLeak(() => trainRbmMnist({ ...tiny('leak'), epochs: 1 }), {
      warmup: 1,
      repeats: 2,
      label: 'trainRbmMnist',
    });
    await expectNoLeak(
      () => trainRbmMnist({ ...tiny('leak-pcd'), epochs: 1, pcd: true, chains: 8, k: 2 }),
      { warmup: 1, repeats: 1, label: 'trainRbmMnist --pcd' },
    );
  });

  it('stops after the current batch when aborted and keeps the model and its filters', async () => {
    const ac = new AbortController();
    ac.abort();
    const lines: string[] = [];
    const r = await trainRbmMnist({
      ...tiny('stopped'),
      signal: ac.signal,
      log: (l) => lines.push(l),
    });
    expect(r.stopped).toBe(true);
    expect(r.history).toHaveLength(0);
    expect(r.ais).toBeUndefined();
    expect(existsSync(join(r.out, 'rbm.json'))).toBe(true);
    expect(existsSync(join(r.out, 'filters.png'))).toBe(true);
    expect(existsSync(join(r.out, 'samples.png'))).toBe(false);
    expect(JSON.parse(readFileSync(join(r.out, 'summary.json'), 'utf8')).stopped).toBe(true);
    expect(lines.join('\n')).toMatch(/0 epochs on 200 digits .*\(stopped early\)/);
    expect(lines.join('\n')).toContain('samples.png and the AIS estimate skipped (stopped early)');
  });

  it('rejects inconsistent options before writing anything', async () => {
    const o = tiny('rejected');
    await expect(trainRbmMnist({ ...o, hidden: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(trainRbmMnist({ ...o, limit: 9001, test: 1000 })).rejects.toThrow(/--limit/);
    await expect(trainRbmMnist({ ...o, chains: 4 })).rejects.toThrow(/--chains.*--pcd/);
    expect(existsSync(o.out)).toBe(false);
  });

  it('ebm rbm mnist: each bad flag gives one error line naming it and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['--hidden', '0'], /--hidden must be an integer >= 1, got '0'/],
      [['--binarize', '2'], /--binarize must be a threshold in \(0, 1\] or 'sample', got '2'/],
      [['--momentum', '1'], /--momentum must be a number in \[0, 1\), got '1'/],
      [['--lr', '-1'], /--lr must be a number > 0, got '-1'/],
      [['--ais-chains', '1'], /--ais-chains must be an integer >= 2, got '1'/],
      [['--ais-betas', 'many'], /--ais-betas must be an integer >= 1, got 'many'/],
      [['--backend', 'gpu'], /--backend.*'gpu' is invalid/],
      [['--pl-digits', '-1'], /--pl-digits must be an integer >= 0, got '-1'/],
      [['--chains', '8', '-q'], /^ebm: error: .*--chains: persistent chains need --pcd/],
    ];
    const out = join(dir, 'bad-flags');
    for (const [args, message] of cases) {
      let stderr = '';
      const code = await main(['node', 'ebm', 'rbm', 'mnist', '--out', out, ...args], {
        out: () => {},
        err: (s) => {
          stderr += s;
        },
      });
      expect(code, args.join(' ')).not.toBe(0);
      expect(stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(stderr, args.join(' ')).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });
});
