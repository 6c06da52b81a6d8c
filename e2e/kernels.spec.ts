import { expect, test } from '@playwright/test';
import type { KernelCheckReply } from './fixtures/messages.ts';

test('rms_norm matches its CPU twin on WebGPU inside a dedicated Worker in Chromium', async ({ page }) => {
  await page.goto('/e2e/fixtures/kernels.html');
  const reply: KernelCheckReply = await page.evaluate(() => window.kernelChecks);
  if (reply.kind === 'error') throw new Error(reply.message);
  console.log(`adapter: ${reply.info.vendor} ${reply.info.architecture} (fallback: ${reply.info.isFallbackAdapter}, f16: ${reply.info.f16})`);
  expect(reply.inWorker).toBe(true);
  const cases = reply.results.rms_norm;
  expect(cases.length).toBeGreaterThanOrEqual(18);
  for (const c of cases) expect(c.mismatches, `${c.name}: max abs err ${c.maxAbsErr}${c.gpuError ? `, ${c.gpuError}` : ''}`).toBe(0);
});
