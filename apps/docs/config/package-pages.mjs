// Package pages written inside each package: `packages/<dir>/DOCS.md` (Starlight frontmatter with
// at least `title`; without a DOCS.md, the package README with its `# heading` as the title) is
// copied to `src/content/docs/packages/<dir>.from-package.md` (gitignored) on every build and
// dev start, so it appears under "Packages" at /packages/<dir>/. A hand-written
// `src/content/docs/packages/<dir>.md(x)` takes precedence over the package's DOCS.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagesRoot } from './packages.mjs';

const SUFFIX = '.from-package.md';

/**
 * Adds `slug`, `editUrl` and a sidebar label (the package directory) to a page's frontmatter
 * unless the page sets them itself.
 */
export function withPackageFrontmatter(source, dir, file) {
  const m = /^---\r?\n([\s\S]*?)\r?\n---(\r?\n|$)/.exec(source);
  if (!m || !/^title:/m.test(m[1])) {
    throw new Error(`${file}: needs YAML frontmatter with a title (--- title: ... ---)`);
  }
  const extra = [];
  if (!/^slug:/m.test(m[1])) extra.push(`slug: packages/${dir}`);
  if (!/^editUrl:/m.test(m[1])) extra.push('editUrl: false');
  if (!/^sidebar:/m.test(m[1])) extra.push(`sidebar:\n  label: ${JSON.stringify(dir)}`);
  const front = [m[1].trim(), ...extra].join('\n');
  return `---\n${front}\n---\n${source.slice(m[0].length)}`;
}

/**
 * A package README without a DOCS.md becomes its page: the leading `# title` turns into the
 * frontmatter title (so the page is not written twice, once for npm and once for the site).
 */
export function readmeAsPage(source) {
  const m = /^# (.+)\r?\n/.exec(source);
  if (!m) return source;
  return `---\ntitle: ${JSON.stringify(m[1].trim())}\n---\n${source.slice(m[0].length)}`;
}

/** @returns {import('astro').AstroIntegration} */
export function packagePages() {
  return {
    name: 'ebmjs-package-pages',
    hooks: {
      'astro:config:setup'({ config, command, logger }) {
        if (command === 'preview') return;
        const outDir = path.join(fileURLToPath(config.srcDir), 'content/docs/packages');
        fs.mkdirSync(outDir, { recursive: true });
        for (const f of fs.readdirSync(outDir)) {
          if (f.endsWith(SUFFIX)) fs.rmSync(path.join(outDir, f));
        }
        if (!fs.existsSync(packagesRoot)) return;
        const copied = [];
        for (const dir of fs.readdirSync(packagesRoot).sort()) {
          const docs = path.join(packagesRoot, dir, 'DOCS.md');
          const readme = path.join(packagesRoot, dir, 'README.md');
          const src = fs.existsSync(docs) ? docs : readme;
          if (!fs.existsSync(src)) continue;
          const handWritten = ['.md', '.mdx'].some((ext) =>
            fs.existsSync(path.join(outDir, dir + ext)),
          );
          if (handWritten) continue;
          const source = fs.readFileSync(src, 'utf8');
          const text = withPackageFrontmatter(
            src === docs ? source : readmeAsPage(source),
            dir,
            `packages/${dir}/${path.basename(src)}`,
          );
          fs.writeFileSync(path.join(outDir, dir + SUFFIX), text);
          copied.push(dir);
        }
        if (copied.length) logger.info(`package pages from DOCS.md: ${copied.join(', ')}`);
      },
    },
  };
}
