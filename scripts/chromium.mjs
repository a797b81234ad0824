// Debian's Chromium for the browser tests and benches (never `npx playwright install`): its path
// (EBMJS_CHROMIUM, or the docs e2e's older CHROMIUM_PATH, overrides it) and the flags every
// launch uses: headless, no sandbox (CI containers), no GPU, no background network services.
// Used by apps/docs/e2e/run.mjs and bench/lib.mjs.
export const CHROMIUM =
  process.env.EBMJS_CHROMIUM ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches it through playwright-core. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
