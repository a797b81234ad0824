import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

// The CLI is tested as users run it: the built dist/bin.js in a child process.
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const dir = mkdtempSync(join(tmpdir(), 'ebm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ebm(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, EBMJS_BACKEND: 'wasm' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Decodes a PNG's structure: signature, IHDR, and the inflated IDAT size (RGBA 8-bit). */
function decodePng(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (off < b.length) {
    const len = b.readUInt32BE(off);
    const type = b.toString('latin1', off + 4, off + 8);
    const body = b.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8]).toBe(8); // bit depth
      expect(body[9]).toBe(6); // RGBA
    }
    if (type === 'IDAT') idat.push(body);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe(height * (1 + 4 * width));
  return { width, height };
}

describe('ebm train toy', () => {
  const out = join(dir, 'toy');
  it('trains on a tiny budget and writes landscape PNGs, metrics.csv and a checkpoint', () => {
    const r = ebm(
      'train',
      'toy',
      '--dataset',
      'eight-gaussians',
      '--epochs',
      '1',
      '--limit',
      '128',
      '--batch-size',
      '32',
      '--steps',
      '3',
      '--sample-steps',
      '5',
      '--out',
      out,
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    // progress goes to stderr as plain lines when it is not a TTY
    expect(r.stderr).toMatch(/epoch 1\/1 \| step 4\/4 \| ETA 0s \| loss/);
    expect(r.stdout).toMatch(/ebm train toy \(eight-gaussians\): 4 steps/);
    expect(decodePng(join(out, 'landscape.png'))).toEqual({ width: 320, height: 320 });
    decodePng(join(out, 'landscape-chains-from-noise.png'));
    const rows = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('step,epoch,batch,loss,reg,cdiv,real,fake,grad_norm,lr');
    expect(rows).toHaveLength(5);
    expect(rows[4]!.split(',').slice(3).map(Number).every(Number.isFinite)).toBe(true);
    expect(existsSync(join(out, 'checkpoint', 'latest.json'))).toBe(true);
  });

  it('--resume continues the run from its checkpoint', () => {
    const r = ebm(
      'train',
      'toy',
      '--dataset',
      'eight-gaussians',
      '--epochs',
      '2',
      '--limit',
      '128',
      '--batch-size',
      '32',
      '--steps',
      '3',
      '--sample-steps',
      '5',
      '--out',
      out,
      '--resume',
      '-q',
    );
    expect(r.code).toBe(0);
    const rows = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(rows.map((l) => l.split(',')[0])).toEqual([
      'step',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
    ]);
    const latest = JSON.parse(readFileSync(join(out, 'checkpoint', 'latest.json'), 'utf8'));
    expect(latest.step).toBe(8);
  });

  it('ebm sample draws from the trained checkpoint', () => {
    const png = join(dir, 'toy-samples.png');
    const r = ebm('sample', out, '--n', '16', '--steps', '3', '--out', png, '--threads', '2');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(png);
    // --threads 2: by default the native convolutions on 2 threads (tfjs single-threaded)
    expect(r.stderr).toMatch(/backend: wasm \(simd on, 2 threads, native convolutions, [^)]+\)/);
    decodePng(png);
  });
});

describe('runs that stop and restart', () => {
  it('refuses to start over an existing run without --resume or --overwrite', () => {
    const out = join(dir, 'toy');
    const r = ebm(
      'train',
      'toy',
      '--epochs',
      '1',
      '--limit',
      '64',
      '--steps',
      '1',
      '--out',
      out,
      '-q',
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/already holds a training run; add --resume .* or --overwrite/);
    const o = ebm(
      'train',
      'toy',
      '--epochs',
      '1',
      '--limit',
      '64',
      '--batch-size',
      '32',
      '--steps',
      '1',
      '--sample-steps',
      '2',
      '--out',
      out,
      '-q',
      '--overwrite',
    );
    expect(o.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'checkpoint', 'latest.json'), 'utf8')).step).toBe(2);
  });

  it('Ctrl-C stops after the current step, writes a checkpoint, and --resume continues', async () => {
    const out = join(dir, 'interrupted');
    const args = [
      'train',
      'toy',
      '--epochs',
      '200',
      '--limit',
      '256',
      '--batch-size',
      '32',
      '--steps',
      '2',
      '--sample-steps',
      '2',
      '--out',
      out,
    ];
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, EBMJS_BACKEND: 'wasm' },
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    await new Promise<void>((res) => {
      child.stderr.on('data', (d) => {
        if (/step \d+\/1600/.test(String(d))) res();
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    expect(code).toBe(0);
    expect(stdout).toMatch(/stopped: checkpoint written/);
    const step = JSON.parse(readFileSync(join(out, 'checkpoint', 'latest.json'), 'utf8'))
      .step as number;
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(1600);
    const rows = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(step + 1);
    // 8 steps per epoch: resume and finish the epoch the run stopped in
    const epochs = Math.floor(step / 8) + 1;
    const r = ebm(
      ...args.slice(0, 2),
      '--epochs',
      String(epochs),
      ...args.slice(4),
      '--resume',
      '-q',
    );
    expect(r.code).toBe(0);
    const after = JSON.parse(readFileSync(join(out, 'checkpoint', 'latest.json'), 'utf8')).step;
    expect(after).toBe(epochs * 8);
    expect(readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n')).toHaveLength(
      after + 1,
    );
  });
});

describe('ebm train mnist', () => {
  /** A tiny MNIST training run; its metrics.csv and samples.png. */
  const tinyRun = (name: string, ...flags: string[]) => {
    const out = join(dir, `mnist-${name}`);
    const r = ebm(
      'train',
      'mnist',
      ...['--epochs', '1', '--limit', '128', '--batch-size', '32', '--steps', '5'],
      ...['--sample-steps', '3', '--out', out, ...flags],
    );
    expect(r.code, r.stderr).toBe(0);
    return {
      stderr: r.stderr,
      metrics: readFileSync(join(out, 'metrics.csv'), 'utf8'),
      samples: readFileSync(join(out, 'samples.png')),
    };
  };

  it('--threads changes the speed, not the run: 1 and 2 threads train bit for bit alike', () => {
    const one = tinyRun('threads-1', '--threads', '1', '--conv-kernels', 'xnnpack');
    const two = tinyRun('threads-2', '--threads', '2', '--conv-kernels', 'xnnpack');
    expect(one.stderr).toContain('1 thread');
    expect(two.stderr).toContain('2 threads');
    expect(one.metrics.trim().split('\n')).toHaveLength(5);
    expect(two.metrics).toBe(one.metrics);
    expect(two.samples.equals(one.samples)).toBe(true);
  });

  it('--relaxed-simd trains on the FMA convolutions, the same on 1 and 2 threads', () => {
    const one = tinyRun('fma-1', '--threads', '1', '--relaxed-simd');
    const two = tinyRun('fma-2', '--threads', '2', '--relaxed-simd');
    expect(one.stderr).toMatch(/backend: wasm \(simd on, 1 thread, FMA convolutions\)/);
    expect(two.stderr).toMatch(/backend: wasm \(simd on, 2 threads, FMA convolutions\)/);
    const losses = one.metrics
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[3])); // the loss column
    expect(losses.every(Number.isFinite), one.metrics).toBe(true);
    expect(two.metrics).toBe(one.metrics);
    expect(two.samples.equals(one.samples)).toBe(true);
  });

  it('--no-relaxed-simd trains on the multiply-add convolutions, the same on 1 and 2 threads', () => {
    const one = tinyRun('muladd-1', '--threads', '1', '--no-relaxed-simd');
    const two = tinyRun(
      'muladd-2',
      '--threads',
      '2',
      '--no-relaxed-simd',
      '--conv-kernels',
      'ebmjs',
    );
    expect(one.stderr).toMatch(/backend: wasm \(simd on, 1 thread, multiply-add convolutions\)/);
    expect(two.stderr).toMatch(/backend: wasm \(simd on, 2 threads, multiply-add convolutions\)/);
    expect(one.metrics.trim().split('\n')).toHaveLength(5);
    expect(two.metrics).toBe(one.metrics);
    expect(two.samples.equals(one.samples)).toBe(true);
  });

  it('--native-kernels trains on the native kernels, the same on 1 and 2 threads; --no-native-kernels on the wasm FMA ones', () => {
    const native = tinyRun('native', '--threads', '1', '--native-kernels');
    const wasm = tinyRun('no-native', '--threads', '1', '--no-native-kernels');
    expect(native.stderr).toMatch(/backend: wasm \(simd on, 1 thread, native convolutions, /);
    // ebm turns relaxed SIMD on for itself
    expect(wasm.stderr).toMatch(/backend: wasm \(simd on, 1 thread, FMA convolutions\)/);
    const losses = (m: string) =>
      m
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => Number(l.split(',')[3])); // the loss column
    expect(losses(native.metrics).every(Number.isFinite), native.metrics).toBe(true);
    // the same training up to float rounding: losses agree to a few digits
    const [a, b] = [losses(native.metrics), losses(wasm.metrics)];
    expect(a).toHaveLength(4);
    for (const [i, v] of a.entries()) {
      expect(Math.abs(v - b[i]!), `${native.metrics}\n${wasm.metrics}`).toBeLessThan(
        1e-3 * (1 + Math.abs(v)),
      );
    }
    // on 2 threads (native helper threads beside tfjs's single-threaded build): the same run
    const two = tinyRun('native-2', '--threads', '2', '--native-kernels');
    expect(two.stderr).toMatch(/backend: wasm \(simd on, 2 threads, native convolutions, /);
    expect(two.metrics).toBe(native.metrics);
    expect(two.samples.equals(native.samples)).toBe(true);
  });

  it('rejects an unknown --conv-kernels before any work', () => {
    const r = ebm('train', 'toy', '--conv-kernels', 'mkl', '--out', join(dir, 'bad-conv'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--conv-kernels/);
    expect(existsSync(join(dir, 'bad-conv'))).toBe(false);
  });

  it('runs end to end on a tiny budget', () => {
    const out = join(dir, 'mnist');
    const r = ebm(
      'train',
      'mnist',
      '--epochs',
      '1',
      '--limit',
      '64',
      '--batch-size',
      '32',
      '--steps',
      '2',
      '--sample-steps',
      '4',
      '--out',
      out,
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/training on 64 examples/);
    // the default 1-thread backend (half the CPUs, so on machines with up to 3) runs the native
    // convolutions (the workspace builds @ebmjs/native-kernels)
    if (Math.floor(availableParallelism() / 2) <= 1) {
      expect(r.stderr).toMatch(
        /backend: wasm \(simd on, 1 thread, native convolutions, (x86-64-v[34]|aarch64|baseline)\)/,
      );
    }
    // 64 samples in an 8x8 grid of 32x32 images magnified 2x, with 2px padding between and around
    expect(decodePng(join(out, 'samples.png'))).toEqual({
      width: 8 * 64 + 9 * 2,
      height: 8 * 64 + 9 * 2,
    });
    const strip = decodePng(join(out, 'langevin.png'));
    expect(strip.height).toBeGreaterThan(strip.width / 2); // 8 chains (rows) x 5 recorded steps (cols)
    const rows = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(3);
    const s = ebm(
      'sample',
      join(out, 'checkpoint'),
      '--n',
      '4',
      '--steps',
      '2',
      '--out',
      join(dir, 'm.png'),
    );
    expect(s.code).toBe(0);
    expect(decodePng(join(dir, 'm.png')).width).toBeGreaterThan(0);
  });
});

describe('ebm rbm mnist', () => {
  const out = join(dir, 'rbm');
  const tiny = [
    '--hidden',
    '16',
    '--epochs',
    '1',
    '--limit',
    '200',
    '--test',
    '50',
    '--pl-digits',
    '20',
    '--ais-chains',
    '20',
    '--ais-betas',
    '100',
    '--gibbs-steps',
    '20',
    '--samples',
    '16',
    '--out',
    out,
  ];

  it('trains a small RBM end to end: metrics, AIS log-likelihood, PNGs, model and metrics.csv', () => {
    const r = ebm('rbm', 'mnist', ...tiny);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/RBM 784-16, CD-1: 200 training and 50 held-out digits/);
    // one line per epoch with the training and held-out metrics
    expect(r.stderr).toMatch(
      /epoch 1\/1: recon \d\.\d+ \(held-out \d\.\d+\), F-gap -?\d+\.\d+, pseudo-LL \(held-out\) -\d+\.\d+ ± \d+\.\d+ nats, \d+\.\d s/,
    );
    expect(r.stdout).toMatch(/ebm rbm mnist: 16 hidden units, CD-1, 1 epoch on 200 digits/);
    const ais = r.stdout.match(
      /AIS log-likelihood \(50 held-out digits\): (-?\d+\.\d+) ± (\d+\.\d+) nats per digit/,
    );
    expect(ais).not.toBeNull();
    const [ll, se] = [Number(ais![1]), Number(ais![2])];
    expect(Number.isFinite(ll) && ll < 0).toBe(true);
    expect(Number.isFinite(se) && se >= 0).toBe(true);
    // 16 filters and 16 samples: 4x4 grids of 28x28 images magnified 2x, 2px padding
    const side = 4 * 56 + 5 * 2;
    expect(decodePng(join(out, 'filters.png'))).toEqual({ width: side, height: side });
    expect(decodePng(join(out, 'samples.png'))).toEqual({ width: side, height: side });
    const rows = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe(
      'epoch,recon_train,free_energy_gap,recon_test,pseudo_ll_test,pseudo_ll_test_stderr,seconds,eval_seconds',
    );
    expect(rows).toHaveLength(2);
    expect(rows[1]!.split(',').map(Number).every(Number.isFinite)).toBe(true);
    const model = JSON.parse(readFileSync(join(out, 'rbm.json'), 'utf8'));
    expect([model.format, model.kind, model.visible, model.hidden]).toEqual([
      'ebmjs-rbm',
      'bernoulli',
      784,
      16,
    ]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.ais.testLogLikelihood).toBeCloseTo(ll, 2);
    expect(summary.history).toHaveLength(1);
  });

  it('refuses to replace a previous run without --overwrite', () => {
    const r = ebm('rbm', 'mnist', ...tiny, '-q');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/already holds an RBM run \(rbm\.json\); add --overwrite/);
  });

  it('bad values exit non-zero with one line naming the flag', () => {
    // more cases run in-process in rbm-mnist.test.ts
    const cases: [string[], RegExp][] = [
      [['--k', '0'], /--k must be an integer >= 1, got '0'/],
      [['--limit', '9500', '-q'], /^ebm: error: .*--limit: the bundled MNIST has 10000 digits/],
    ];
    for (const [args, message] of cases) {
      const r = ebm('rbm', 'mnist', '--out', join(dir, 'rbm-bad'), ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(existsSync(join(dir, 'rbm-bad', 'rbm.json'))).toBe(false);
  });
});

describe('errors and help', () => {
  it('an unknown flag exits non-zero with one line on stderr', () => {
    const r = ebm('train', 'toy', '--bogus');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual(["error: unknown option '--bogus'"]);
  });

  it('a bad value exits non-zero with one line naming the flag', () => {
    const r = ebm('train', 'toy', '--epochs', '0');
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--epochs must be an integer >= 1, got '0'/);
    const t = ebm('train', 'toy', '--threads', '9');
    expect(t.code).not.toBe(0);
    expect(t.stderr.trim().split('\n')).toHaveLength(1);
    expect(t.stderr).toMatch(/--threads must be an integer from 1 to 8, got '9'/);
  });

  it('a missing data file exits 1 with one line naming the file', () => {
    const r = ebm('train', 'mnist', '--data', join(dir, 'nope-idx3-ubyte.gz'), '-q');
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ebm: error: .*nope-idx3-ubyte\.gz/);
  });

  it('a missing checkpoint exits 1 with one line', () => {
    const r = ebm('sample', join(dir, 'no-such-run'));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^ebm: error: .*no checkpoint/);
  });

  it('--help explains the commands and the quick start', () => {
    const r = ebm('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Quick start/);
    expect(r.stdout).toMatch(/train/);
    expect(r.stdout).toMatch(/sample/);
    const t = ebm('train', 'mnist', '--help');
    expect(t.stdout).toMatch(/--limit <n>/);
    expect(t.stdout).toMatch(/default: 4096/);
    expect(r.stdout).toMatch(/ebm rbm mnist/);
    const rbm = ebm('rbm', 'mnist', '--help');
    expect(rbm.code).toBe(0);
    expect(rbm.stdout).toMatch(/--hidden <n> +hidden units \(default: 500\)/);
    expect(rbm.stdout).toMatch(/--pcd/);
    expect(rbm.stdout).toMatch(/--ais-chains <n>/);
    expect(rbm.stdout).toMatch(/Examples:\n {2}ebm rbm mnist\n/);
  });
});
