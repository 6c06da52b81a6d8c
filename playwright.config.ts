// e2e tests in the system's headless Chromium (/usr/bin/chromium, installed by `npm run setup`; no browser
// download) with WebGPU on SwiftShader. Two servers: `npm run dev` on port 5174 (the source tree: the
// fixture pages under /e2e/fixtures/ that test one part at a time) and the real `npm start` (the production
// build, whose Service Worker precaches the app) on 5274, where the app's own tests run (APP_URL).
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './src/bench/chromium.ts';

// TABSERVE_E2E_PORT lets two runs share a machine
export const E2E_PORT = Number(process.env.TABSERVE_E2E_PORT ?? 5174);
export const APP_URL = `http://127.0.0.1:${E2E_PORT + 100}`;

export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/global_setup.ts',
  timeout: 180_000,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    },
  },
  webServer: [
    {
      command: `node scripts/start.mjs --dev --port ${E2E_PORT}`,
      url: `http://127.0.0.1:${E2E_PORT}/`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'ignore',
    },
    {
      command: `node scripts/start.mjs --port ${E2E_PORT + 100}`,
      url: `${APP_URL}/`,
      reuseExistingServer: false,
      timeout: 180_000,
      stdout: 'ignore',
    },
  ],
});
