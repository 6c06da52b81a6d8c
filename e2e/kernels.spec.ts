import { expect, test } from '@playwright/test';
import type { KernelCheckReply } from './fixtures/messages.ts';

test('kernels match their CPU twins on WebGPU inside a dedicated Worker in Chromium', async ({ page }) => {
  await page.goto('/e2e/fixtures/kernels.html');
  const reply: KernelCheckReply = await page.evaluate(() => window.kernelChecks);
  if (reply.kind === 'error') throw new Error(reply.message);
  console.log(`adapter: ${reply.info.vendor} ${reply.info.architecture} (fallback: ${reply.info.isFallbackAdapter}, f16: ${reply.info.f16}, int8 dot: ${reply.info.int8Dot})`);
  expect(reply.inWorker).toBe(true);
  expect(reply.results.rms_norm.length).toBeGreaterThanOrEqual(18);
  expect(reply.results.matmul.length).toBeGreaterThanOrEqual(20);
  for (const k of ['embedding', 'rope', 'swiglu', 'rope_kv', 'attention', 'attention_split', 'topk', 'softcap', 'token_mask']) expect(reply.results[k]?.length, k).toBeGreaterThanOrEqual(8);
  expect(reply.results.pick?.length).toBe(7);
  expect(reply.results.draw?.length).toBeGreaterThanOrEqual(12);
  expect(reply.results.stream_read?.length).toBe(6);
  if (reply.info.int8Dot) for (const k of ['quantize_q8', 'matmul_q8']) expect(reply.results[k]?.length, k).toBeGreaterThanOrEqual(7);
  for (const [kernel, cases] of Object.entries(reply.results)) {
    for (const c of cases) expect(c.mismatches, `${kernel} ${c.name}: max abs err ${c.maxAbsErr}${c.gpuError ? `, ${c.gpuError}` : ''}`).toBe(0);
  }
});
