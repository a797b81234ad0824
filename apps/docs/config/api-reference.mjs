// API reference: one starlight-typedoc instance per workspace package that has `src/index.ts`.
//
// Packages are discovered when the Astro config loads, so a new package under `packages/` shows up
// in the reference without touching this file. Each package is documented with its own
// `tsconfig.json` and written to `src/content/docs/api/<dir>/` (gitignored, regenerated on every
// build and dev start).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createStarlightTypeDocPlugin } from 'starlight-typedoc';
import { apiRoot, checkSources, discoverPackages } from './packages.mjs';

// TypeDoc options shared by every package.
//  - skipErrorChecking: type errors are owned by each package's own `typecheck` task (which runs
//    after its dependencies are built). The docs build must not depend on sibling `dist/` folders
//    or on test files that are being written, so TypeDoc does not re-run the type checker.
//  - treatWarningsAsErrors stays false: a missing doc comment or an unresolved {@link} in one
//    package is a warning in the build log, never a failed build.
//  - Real breakage still fails the build: an invalid tsconfig or a syntax error in the package's
//    sources (`checkSources`, parse only, no type checking); any TypeDoc *error*, which leaves the
//    package's output folder empty (TypeDoc skips rendering after errors) and `verifyApiReference`
//    turns into a build error; a package that exports nothing, which fails inside starlight-typedoc
//    ("Failed to generate TypeDoc documentation").
const typeDocOptions = {
  skipErrorChecking: true,
  treatWarningsAsErrors: false,
  excludeExternals: true,
  // no public git remote yet: "Defined in" links would point nowhere
  disableSources: true,
  // each package's landing page is /api/<dir>/ rather than /api/<dir>/readme/
  entryFileName: 'index',
  sort: ['kind', 'instance-first', 'alphabetical-ignoring-documents'],
  validation: { notExported: true, invalidLink: true, notDocumented: false },
};

/** Removes stale generated pages and writes `api/index.md` (the reference landing page). */
function prepareApiDir(packages) {
  return {
    name: 'ebmjs-api-prepare',
    hooks: {
      'config:setup'({ command }) {
        if (command === 'preview') return;
        const broken = packages.flatMap((p) => checkSources(p).map((e) => `${p.name}: ${e}`));
        if (broken.length) {
          throw new Error(`Cannot generate the API reference:\n${broken.join('\n')}`);
        }
        fs.rmSync(apiRoot, { recursive: true, force: true });
        fs.mkdirSync(apiRoot, { recursive: true });
        const list = packages.length
          ? packages
              .map(
                (p) =>
                  `- [\`${p.name}\`](/api/${p.dir}/)${p.description ? ` — ${p.description}` : ''}`,
              )
              .join('\n')
          : '_No package exports an API yet._';
        fs.writeFileSync(
          path.join(apiRoot, 'index.md'),
          `---\ntitle: API reference\ndescription: Generated from the TypeScript sources with TypeDoc.\neditUrl: false\n---\n\n` +
            `Generated with TypeDoc from each package's \`src/index.ts\` on every build.\n\n${list}\n`,
        );
      },
    },
  };
}

/** Fails the build when TypeDoc did not write any page for a discovered package. */
function verifyApiReference(packages) {
  return {
    name: 'ebmjs-api-verify',
    hooks: {
      'config:setup'({ command, logger }) {
        if (command === 'preview') return;
        const missing = packages.filter((p) => {
          const out = path.join(apiRoot, p.dir);
          return (
            !fs.existsSync(out) ||
            !fs.readdirSync(out, { recursive: true }).some((f) => String(f).endsWith('.md'))
          );
        });
        if (missing.length) {
          throw new Error(
            `API reference was not generated for ${missing.map((p) => p.name).join(', ')}: ` +
              'TypeDoc reported errors (see the log above).',
          );
        }
        logger.info(`API reference generated for ${packages.length} package(s).`);
      },
    },
  };
}

/**
 * @returns {{ plugins: import('@astrojs/starlight/types').StarlightPlugin[], sidebar: object }}
 *   Starlight plugins to register and the "API reference" sidebar group.
 */
export function apiReference(packages = discoverPackages()) {
  const plugins = [prepareApiDir(packages)];
  const groups = [];
  for (const p of packages) {
    const [plugin, group] = createStarlightTypeDocPlugin();
    plugins.push(
      plugin({
        entryPoints: [p.entry],
        tsconfig: p.tsconfig,
        output: `api/${p.dir}`,
        sidebar: { label: p.name, collapsed: true },
        typeDoc: { ...typeDocOptions, name: p.name },
      }),
    );
    groups.push(group);
  }
  plugins.push(verifyApiReference(packages));
  return {
    plugins,
    sidebar: { label: 'API reference', collapsed: false, items: ['api', ...groups] },
  };
}
