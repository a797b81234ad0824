// Adds up every test report of the run (vitest JSON per package, and the JSON summaries the
// e2e and packaging tests write into test-results/) and prints one closing line:
// "N passed, N failed, N skipped". Exits non-zero if anything failed or nothing ran.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const dir of ['packages', 'apps']) {
  if (!existsSync(join(root, dir))) continue;
  for (const name of readdirSync(join(root, dir))) {
    const file = join(root, dir, name, '.vitest-results.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    const s = r.numPendingTests + (r.numTodoTests ?? 0);
    rows.push([`${dir}/${name}`, r.numPassedTests, r.numFailedTests, s]);
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += s;
  }
}
const extra = join(root, 'test-results');
if (existsSync(extra)) {
  for (const f of readdirSync(extra).filter((x) => x.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(join(extra, f), 'utf8'));
    rows.push([f.replace(/\.json$/, ''), r.passed, r.failed, r.skipped ?? 0]);
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped ?? 0;
  }
}
console.log('\ntest summary');
for (const [n, p, f, s] of rows)
  console.log(`  ${n.padEnd(28)} ${p} passed, ${f} failed, ${s} skipped`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
