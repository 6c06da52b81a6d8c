import { expect, test } from '@playwright/test';

test('the app starts its inference Worker, finds the WebGPU adapter and the built-in model', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.locator('tabserve-app h1')).toHaveText('tabserve');
  const gpu = page.locator('tabserve-app #gpu');
  await expect(gpu).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(gpu.getByTestId('adapter')).toContainText(/\S/);
  await expect(page.locator('tabserve-app #model')).toContainText(/tabserve-test\.gguf \(\d+\.\d MiB\)/);
  expect(errors).toEqual([]);
});
