// The model library in a real Chromium: downloads from a local server on another origin (CORS, Range,
// throttled so a download takes a few seconds) into OPFS, progress, resume after a reload, a server that
// ignores Range, the storage quota, deleting, and files opened from disk. One page in one context, as a
// user's tab: OPFS and IndexedDB persist across its reloads.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { HUGE_BYTES, startModelServer, type ModelServer } from './fixtures/library_server.ts';

test.describe.configure({ mode: 'serial' });

let context: BrowserContext;
let page: Page;
let server: ModelServer;
let model: Buffer; // the GGUF the server serves (~6 MiB)
let modelHash: string;
const pageErrors: string[] = [];

test.beforeAll(async ({ browser }) => {
  const dir = mkdtempSync(join(tmpdir(), 'tabserve-library-'));
  const file = join(dir, 'served.gguf');
  const made = spawnSync(process.execPath, ['bin/tabserve.js', 'make-test-model', '--arch', 'llama', '--type', 'q8_0', '--embd', '512', '--layers', '2', '--heads', '4', '--kv-heads', '2', '--ff', '1024', '--ctx', '256', '--out', file], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  model = readFileSync(file);
  rmSync(dir, { recursive: true });
  modelHash = createHash('sha256').update(model).digest('hex');
  server = await startModelServer(model);
  context = await browser.newContext();
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/e2e/fixtures/library.html');
  await page.waitForFunction(() => window.library !== undefined);
});

test.afterAll(async () => {
  expect(pageErrors).toEqual([]);
  await context.close();
  await server.close();
});

const bar = (id: string) => page.locator(`download-progress[data-id="${id}"] [data-testid="download-progress"]`);
const stored = (id: string) => page.evaluate((id) => window.library.getModel(id), id);
const isComplete = (id: string) => page.evaluate(async (id) => (await window.library.getModel(id))?.complete ?? false, id);
const requestsFor = (path: string) => server.requests.filter((r) => r.path === path);

async function addUrl(url: string) {
  await page.getByTestId('add-url').fill(url);
  await page.getByTestId('add-url-submit').click();
}

/** Waits until the download's bar shows at least `percent`. */
async function reachPercent(id: string, percent: number) {
  await expect.poll(async () => Number((await bar(id).getAttribute('data-percent', { timeout: 1000 }).catch(() => null)) ?? -1), { timeout: 30_000 }).toBeGreaterThanOrEqual(percent);
}

test('adding a model by URL shows its progress, then it is stored byte for byte and can be used', async () => {
  const id = 'first-q8_0';
  await addUrl(`${server.origin}/range/First-Q8_0.gguf`);
  // data-percent as the page shows it, sampled every 50 ms until the model is complete
  const percents = await page.evaluate(async (id) => {
    const seen: number[] = [];
    const root = document.querySelector('model-library')?.shadowRoot;
    for (let i = 0; i < 600 && !(await window.library.getModel(id))?.complete; i++) {
      const p = root?.querySelector(`download-progress[data-id="${id}"]`)?.shadowRoot?.querySelector('[data-testid="download-progress"]')?.getAttribute('data-percent');
      if (p != null) seen.push(Number(p));
      await new Promise((r) => setTimeout(r, 50));
    }
    return seen;
  }, id);
  expect(new Set(percents).size).toBeGreaterThanOrEqual(4);
  expect(percents).toEqual([...percents].sort((a, b) => a - b)); // never goes back
  expect(Math.max(...percents)).toBeGreaterThan(50);
  const m = await stored(id);
  expect(m).toMatchObject({ complete: true, totalBytes: model.length, downloadedBytes: model.length, url: `${server.origin}/range/First-Q8_0.gguf`, arch: 'llama', quant: 'Q8_0' });
  expect(m?.problem).toBeUndefined();
  expect(await page.evaluate((id) => window.library.sha256(id), id)).toBe(modelHash);
  await page.getByTestId(`use-${id}`).click();
  expect(await page.evaluate(() => window.library.used)).toEqual([id]);
});

test('a reload mid-download resumes with a Range request, and the file is byte-identical', async () => {
  const id = 'resume-q8_0';
  await addUrl(`${server.origin}/range/resume-q8_0.gguf`);
  await reachPercent(id, 20);
  const kept = (await stored(id))?.downloadedBytes ?? 0;
  expect(kept).toBeGreaterThan(0);
  await page.reload(); // <model-library> resumes unfinished downloads when it connects
  await expect.poll(() => isComplete(id), { timeout: 30_000 }).toBe(true);
  const seen = requestsFor('/range/resume-q8_0.gguf');
  expect(seen.map((r) => r.status)).toEqual([200, 206]); // and no CORS preflight (204) before the resume
  expect(seen[0].range).toBeNull();
  const from = Number(seen[1].range?.match(/^bytes=(\d+)-$/)?.[1]);
  expect(from).toBeGreaterThanOrEqual(kept); // at least what the record counted before the reload
  expect(from).toBeLessThan(model.length);
  expect(await page.evaluate((id) => window.library.sha256(id), id)).toBe(modelHash);
});

test('a server that ignores Range makes a resumed download start over, correctly', async () => {
  const id = 'restart-q8_0';
  await addUrl(`${server.origin}/norange/restart-q8_0.gguf`);
  await reachPercent(id, 20);
  await page.reload();
  await expect.poll(() => isComplete(id), { timeout: 30_000 }).toBe(true);
  const seen = requestsFor('/norange/restart-q8_0.gguf');
  expect(seen.map((r) => r.status)).toEqual([200, 200]);
  expect(Number(seen[1].range?.match(/^bytes=(\d+)-$/)?.[1])).toBeGreaterThan(0); // it asked to resume, got the whole file
  expect((await stored(id))?.totalBytes).toBe(model.length);
  expect(await page.evaluate((id) => window.library.sha256(id), id)).toBe(modelHash);
});

test('a broken connection fails with a clear error, keeps what arrived, and a new start resumes', async () => {
  const id = 'dropped-q8_0';
  const url = `${server.origin}/drop/dropped-q8_0.gguf`;
  const err = await page.evaluate(
    (url) => window.library.startDownload({ id: 'dropped-q8_0', name: 'dropped', url }).done.then(() => null, (e: InstanceType<typeof window.library.LibraryError>) => ({ reason: e.reason, message: e.message })),
    url,
  );
  expect(err?.reason).toBe('network');
  expect(err?.message).toMatch(/^the connection to 127\.0\.0\.1:\d+ broke after .+ of 6\.\d+ MiB .*what arrived is kept and the download resumes from there$/);
  await expect(page.getByTestId('library-error')).toContainText('the connection to 127.0.0.1');
  const kept = (await stored(id))?.downloadedBytes ?? 0;
  expect(kept).toBeGreaterThan(model.length * 0.3);
  await expect(page.getByTestId(`resume-${id}`)).toBeVisible();
  await page.getByTestId(`resume-${id}`).click();
  await expect.poll(() => isComplete(id), { timeout: 30_000 }).toBe(true);
  const seen = requestsFor('/drop/dropped-q8_0.gguf');
  expect(seen.map((r) => r.status)).toEqual([200, 206]);
  expect(seen[1].range).toBe(`bytes=${kept}-`);
  expect(await page.evaluate((id) => window.library.sha256(id), id)).toBe(modelHash);
});

test('cancel() stops a download and keeps the partial file; starting it again resumes', async () => {
  const id = 'paused-q8_0';
  const url = `${server.origin}/range/paused-q8_0.gguf`;
  const r = await page.evaluate(
    async ([id, url]) => {
      const d = window.library.startDownload({ id, name: 'paused', url });
      while (((await window.library.getModel(id))?.downloadedBytes ?? 0) < 1_000_000) await new Promise((r) => setTimeout(r, 50));
      d.cancel();
      const reason = await d.done.then(() => 'finished', (e: InstanceType<typeof window.library.LibraryError>) => e.reason);
      return { reason, model: await window.library.getModel(id) };
    },
    [id, url] as const,
  );
  expect(r.reason).toBe('cancelled');
  expect(r.model).toMatchObject({ complete: false, totalBytes: model.length });
  expect(r.model?.downloadedBytes).toBeGreaterThanOrEqual(1_000_000);
  await page.evaluate(([id, url]) => window.library.startDownload({ id, name: 'paused', url }).done.then(() => undefined), [id, url] as const);
  const seen = requestsFor('/range/paused-q8_0.gguf');
  expect(seen[1]).toMatchObject({ status: 206, range: `bytes=${r.model?.downloadedBytes}-` });
  expect(await page.evaluate((id) => window.library.sha256(id), id)).toBe(modelHash);
});

test('deleting a model frees the space navigator.storage.estimate() reports', async () => {
  const id = 'first-q8_0';
  const before = await page.evaluate(() => window.library.usage());
  await page.getByTestId(`delete-${id}`).click();
  await expect.poll(() => stored(id)).toBeUndefined();
  await expect(page.getByTestId(`delete-${id}`)).toHaveCount(0);
  await expect.poll(async () => before - (await page.evaluate(() => window.library.usage())), { timeout: 10_000 }).toBeGreaterThan(model.length * 0.9);
  const err = await page.evaluate((id) => window.library.modelFile(id).then(() => null, (e: Error) => e.message), id);
  expect(err).toContain('no model "first-q8_0"');
});

test('a server announcing more bytes than the quota allows gives a QuotaError before anything is written', async () => {
  const url = `${server.origin}/huge/huge-q8_0.gguf`;
  const r = await page.evaluate(async (url) => {
    try {
      await window.library.startDownload({ id: 'huge-q8_0', name: 'huge', url }).done;
      return null;
    } catch (e) {
      const q = e instanceof window.library.QuotaError ? e : null;
      return { isQuotaError: q !== null, name: (e as Error).name, message: (e as Error).message, needed: q?.neededBytes, available: q?.availableBytes };
    }
  }, url);
  expect(r).toMatchObject({ isQuotaError: true, name: 'QuotaError', needed: HUGE_BYTES });
  expect(r?.available).toBeGreaterThan(0);
  expect(r?.available).toBeLessThan(HUGE_BYTES);
  expect(r?.message).toMatch(/needs 931 GiB more, but only .+ is free for this site\. Delete models you no longer use/);
  await expect(page.getByTestId('library-error')).toContainText('Not enough storage for this model');
  expect(await stored('huge-q8_0')).toBeUndefined();
  expect(await page.evaluate(() => window.library.listModels().then((ms) => ms.map((m) => m.id)))).not.toContain('huge-q8_0');
});

test('a link to an HTML page is refused as not a GGUF file, and nothing is kept', async () => {
  await addUrl(`${server.origin}/html/page.gguf`);
  await expect(page.getByTestId('library-error')).toContainText('it is not a GGUF model file (it is an HTML page)');
  expect(await stored('page')).toBeUndefined();
});

test('a non-GGUF file opened from disk is refused with a clear message', async () => {
  await page.getByTestId('open-file').setInputFiles({ name: 'notes.gguf', mimeType: 'application/octet-stream', buffer: Buffer.from('These are my notes, not a model.\n'.repeat(4)) });
  await expect(page.getByTestId('library-error')).toContainText('"notes.gguf" is not a GGUF model file');
  expect(await page.evaluate(() => window.library.listModels().then((ms) => ms.map((m) => m.id)))).not.toContain('notes');
});

test('a GGUF file opened from disk is copied into the library and survives a reload', async () => {
  const id = 'disk-model-q8_0';
  await page.getByTestId('open-file').setInputFiles({ name: 'Disk-Model-Q8_0.gguf', mimeType: 'application/octet-stream', buffer: model });
  await expect(page.getByTestId(`use-${id}`)).toBeVisible({ timeout: 30_000 });
  await page.reload();
  await expect(page.getByTestId(`use-${id}`)).toBeVisible();
  expect(await stored(id)).toMatchObject({ url: null, complete: true, totalBytes: model.length, name: 'Disk-Model-Q8_0.gguf' });
  expect(await page.evaluate((id) => window.library.sha256(id), id)).toBe(modelHash);
});

test('catalog K-quant files are offered; a URL whose file name names a type tabserve cannot run is refused up front', async () => {
  await expect(page.getByTestId('download-llama-3.2-1b-instruct-q4_k_m')).toBeEnabled();
  await expect(page.getByTestId('download-qwen3-0.6b-q8_0')).toBeEnabled();
  await expect(page.getByTestId(`use-tabserve-test`)).toBeEnabled();
  await addUrl(`${server.origin}/range/Model-IQ4_XS.gguf`);
  await expect(page.getByTestId('library-error')).toContainText('Model-IQ4_XS.gguf cannot run in tabserve: IQ4_XS weights are not supported yet');
  expect(requestsFor('/range/Model-IQ4_XS.gguf')).toEqual([]);
});
