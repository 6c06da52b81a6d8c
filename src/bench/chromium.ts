/**
 * How tabserve launches the system's Chromium headless with WebGPU: the e2e tests (playwright.config.ts) and
 * the browser bench (browser.ts) share it. No browser download: /usr/bin/chromium (`npm run setup`), or
 * TABSERVE_CHROMIUM. On a machine without a GPU, WebGPU runs on SwiftShader.
 */
export const CHROMIUM_PATH = process.env.TABSERVE_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--enable-unsafe-webgpu', // without it requestAdapter() is null on Linux
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
