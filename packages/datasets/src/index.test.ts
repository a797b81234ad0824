import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as api from './index.js';
import * as nodeApi from './node.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module reachable from `entry` through relative imports (static and dynamic). */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const src = readFileSync(file, 'utf8');
    const specs = [...src.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
    seen.set(file, specs);
    for (const s of specs)
      if (s.startsWith('.')) visit(join(dirname(file), s.replace(/\.js$/, '.ts')));
  };
  visit(join(here, entry));
  return seen;
}

describe('entry points', () => {
  it('the main entry is browser-safe: its graph imports only relative modules and declared browser-safe dependencies', () => {
    const g = graph('index.ts');
    expect(g.size).toBeGreaterThan(5);
    const pkg = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8'));
    // fast-png is pure JavaScript (its own dependencies fflate and iobuffer too); the browser
    // smoke script (scripts/browser-smoke.mjs) checks the bundle in Chromium
    const browserSafe = new Set(['fast-png']);
    const bare: string[] = [];
    for (const [file, specs] of g) {
      for (const s of specs) {
        if (s.startsWith('.')) continue;
        bare.push(s);
        expect(browserSafe.has(s), `${file} imports ${s}`).toBe(true);
        expect(pkg.dependencies?.[s], `${s} is a runtime dependency`).toBeDefined();
      }
    }
    expect(bare).toEqual(['fast-png']);
  });

  it('the node entry does use Node built-ins (fs, zlib)', () => {
    const specs = [...graph('node.ts').values()].flat();
    expect(specs).toContain('node:fs/promises');
    expect(specs).toContain('node:zlib');
  });

  it('exports the documented API', () => {
    for (const name of [
      'toy',
      'twoMoons',
      'eightGaussians',
      'gaussianMixture',
      'swissRoll',
      'rings',
      'checkerboard',
      'pinwheel',
      'grid',
      'loadMnist',
      'batches',
      'epochs',
      'imageGrid',
      'imageStrip',
      'encodePng',
      'drawToCanvas',
      'DatasetError',
    ]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
    for (const name of [
      'readIdx',
      'loadIdxImages',
      'loadFashionMnist',
      'savePng',
      'encodePngSync',
    ]) {
      expect(typeof (nodeApi as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(api.FASHION_MNIST_CLASSES).toHaveLength(10);
  });
});
