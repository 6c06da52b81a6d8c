// The chat app as a user meets it: the production build served by `npm start` (APP_URL), in one browser
// context whose tabs share storage across reloads, on SwiftShader. The model is the built-in test model
// (random weights: its text is random, so the tests check the shape of what happens, not the words).
// Screenshots of the main states go to test-results/screenshots/.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import config, { APP_URL } from '../playwright.config.ts';
import { startModelServer, type ModelServer } from './fixtures/library_server.ts';

test.describe.configure({ mode: 'serial' });
test.use({ baseURL: APP_URL });

let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const shot = (name: string) => page.screenshot({ path: `test-results/screenshots/${name}.png` });

const status = () => page.getByTestId('model-status');
const assistant = () => page.getByTestId('assistant');
const lastAnswer = () => assistant().last();
/** The rendered text of the last answer (inside the message's and the markdown's shadow roots). */
const answerText = async () => (await lastAnswer().locator('chat-markdown .md').allTextContents()).join('');

async function waitReady(id = 'tabserve-test') {
  await expect(status()).toHaveAttribute('data-state', 'ready', { timeout: 150_000 });
  await expect(status()).toContainText(id);
}

async function setParam(field: string, value: string) {
  if (!(await page.getByTestId(`param-${field}`).isVisible())) await page.getByTestId('settings-toggle').click();
  await page.getByTestId(`param-${field}`).fill(value);
}

async function send(text: string) {
  await page.getByTestId('message-input').fill(text);
  await page.getByTestId('message-input').press('Enter');
}

test.beforeAll(async ({ browser }) => {
  context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

test.afterAll(async () => {
  expect(pageErrors).toEqual([]);
  await context.close();
});

test('a first visit installs the built-in test model from the app itself and loads it', async () => {
  await page.goto('/');
  await waitReady();
  await expect(status()).toContainText('random');
  await expect(page.getByTestId('empty')).toBeVisible();
  await shot('empty');
});

test('a message gets an answer streamed token by token, with its statistics', async () => {
  await setParam('system', 'Be brief.');
  await setParam('max_tokens', '24');
  await setParam('seed', '3');
  const sent = page.waitForRequest((r) => r.url().endsWith('/v1/chat/completions'));
  await send('Hello there');
  // what the app asked its own /v1 for: the settings, the system prompt first, a stream with usage
  expect((await sent).postDataJSON()).toMatchObject({
    model: 'tabserve-test',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }],
    max_tokens: 24,
    seed: 3,
    stream: true,
    stream_options: { include_usage: true },
  });
  await expect(page.getByTestId('user').last()).toContainText('Hello there');
  // sample the answer while it streams: several distinct lengths mean it arrived in pieces
  const lengths = new Set<number>();
  const t0 = Date.now();
  while (!(await lastAnswer().getByTestId('stats').isVisible()) && Date.now() - t0 < 120_000) {
    lengths.add((await answerText()).length);
    await page.waitForTimeout(40);
  }
  await expect(lastAnswer().getByTestId('stats')).toContainText(/TTFT \d+ ms · [\d.]+ tok\/s · \d+ tokens/);
  expect(lengths.size).toBeGreaterThanOrEqual(3);
  await shot('chatting');
});

test('stop ends an answer mid-way: the partial text stays, marked stopped, and nothing more arrives', async () => {
  await setParam('max_tokens', '1500');
  const answers = await assistant().count();
  await send('Tell me a long story');
  await expect(assistant()).toHaveCount(answers + 1);
  await expect.poll(async () => (await answerText()).trim().length, { timeout: 60_000 }).toBeGreaterThan(20);
  await page.getByTestId('stop').click();
  await expect(lastAnswer().getByTestId('finish')).toContainText('stopped');
  const text = await answerText();
  await page.waitForTimeout(1500);
  expect(await answerText()).toBe(text);
  await expect(page.getByTestId('stop')).toHaveCount(0);
  await expect(page.getByTestId('send')).toBeVisible();
});

test('an error is shown in plain words on the answer: a request longer than the context', async () => {
  await setParam('max_tokens', '5000'); // the built-in model's context is 2048 tokens
  await send('Once more');
  await expect(lastAnswer().getByTestId('error')).toContainText("too long for this model's context", { timeout: 60_000 });
  await expect(lastAnswer().getByTestId('error')).toBeInViewport(); // the view followed the conversation down
  await shot('error');
  await setParam('max_tokens', '24');
});

test('regenerate and edit-and-resend replace the answer', async () => {
  const answers = await assistant().count();
  await lastAnswer().getByTestId('regenerate').click();
  await expect(lastAnswer().getByTestId('stats')).toBeVisible({ timeout: 120_000 });
  expect(await assistant().count()).toBe(answers);
  const user = page.getByTestId('user').last();
  await user.getByTestId('edit').click();
  await user.getByTestId('edit-input').fill('Edited question');
  await user.getByTestId('edit-send').click();
  await expect(page.getByTestId('user').last()).toContainText('Edited question');
  await expect(lastAnswer().getByTestId('stats')).toBeVisible({ timeout: 120_000 });
});

test('the conversation is still there after a reload', async () => {
  const users = await page.getByTestId('user').allTextContents();
  await page.reload();
  await waitReady();
  await expect(page.getByTestId('user')).toHaveCount(users.length);
  expect(await page.getByTestId('user').allTextContents()).toEqual(users);
  await expect(page.getByTestId('conversation')).toHaveCount(1);
});

test('model output with HTML in it renders as text and runs nothing', async () => {
  // an answer as the model could have written it, stored the way the app stores answers
  await page.evaluate(async () => {
    const open = indexedDB.open('tabserve-chat');
    const db = await new Promise<IDBDatabase>((resolve, reject) => ((open.onsuccess = () => resolve(open.result)), (open.onerror = () => reject(open.error))));
    const now = Date.now();
    const evil = 'Look: <img src=x onerror="window.__pwned=1"> and <script>window.__pwned=1</script> and [click](javascript:window.__pwned=1)';
    const c = { id: 'evil', title: 'Evil', createdAt: now, updatedAt: now + 1e6, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: evil, finishReason: 'stop' }] };
    const tx = db.transaction('state', 'readwrite');
    tx.objectStore('state').put(c, 'conversation:evil');
    await new Promise((resolve) => (tx.oncomplete = resolve));
    db.close();
  });
  await page.reload();
  await waitReady();
  await page.getByTestId('conversation').filter({ hasText: 'Evil' }).click();
  await expect.poll(answerText).toContain('<img src=x onerror="window.__pwned=1">');
  expect(await answerText()).toContain('<script>window.__pwned=1</script>');
  await expect(lastAnswer().locator('img')).toHaveCount(0);
  await lastAnswer().getByText('click').click();
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
});

test('offline after the first visit: the app loads and answers with the network off', async () => {
  await context.setOffline(true);
  try {
    await page.reload();
    await waitReady();
    await page.getByTestId('new-chat').click();
    await send('Are you there?');
    await expect(lastAnswer().getByTestId('stats')).toBeVisible({ timeout: 120_000 });
    expect((await answerText()).trim().length).toBeGreaterThan(0);
  } finally {
    await context.setOffline(false);
  }
});

test.describe('a model added by URL', () => {
  let server: ModelServer;
  let bytes: number;

  test.beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabserve-app-'));
    const file = join(dir, 'm.gguf');
    const made = spawnSync(process.execPath, ['bin/tabserve.js', 'make-test-model', '--arch', 'llama', '--type', 'q8_0', '--embd', '512', '--layers', '2', '--heads', '4', '--kv-heads', '2', '--ff', '1024', '--ctx', '512', '--out', file], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const model = readFileSync(file);
    rmSync(dir, { recursive: true });
    bytes = model.length;
    server = await startModelServer(model);
  });
  test.afterAll(() => server?.close());

  test('shows progress, resumes after a reload mid-download, serves chat, and deleting it frees its space', async () => {
    const id = 'added-model';
    const url = `${server.origin}/range/${id}.gguf`;
    const bar = page.locator(`download-progress[data-id="${id}"] [data-testid="download-progress"]`);
    const percent = async () => Number((await bar.getAttribute('data-percent', { timeout: 1000 }).catch(() => null)) ?? -1);
    if (page.url() === 'about:blank') await page.goto('/'); // run alone (-g)
    await waitReady();
    await page.getByTestId('models').click();
    await page.getByTestId('add-url').fill(url);
    await page.getByTestId('add-url-submit').click();
    await expect.poll(percent, { timeout: 30_000 }).toBeGreaterThanOrEqual(15);
    await shot('downloading');
    await page.reload();
    await waitReady();
    await page.getByTestId('models').click();
    await expect(page.getByTestId(`use-${id}`)).toBeVisible({ timeout: 60_000 });
    const resumed = server.requests.filter((r) => r.path === `/range/${id}.gguf` && r.status === 206);
    expect(resumed.length).toBeGreaterThan(0);
    expect(Number(resumed[0].range?.match(/^bytes=(\d+)-$/)?.[1])).toBeGreaterThan(0);

    await page.getByTestId(`use-${id}`).click();
    await waitReady(id);
    await page.getByTestId('new-chat').click();
    await setParam('max_tokens', '8');
    await send('Hi, new model');
    await expect(lastAnswer().getByTestId('stats')).toBeVisible({ timeout: 120_000 });

    const usage = () => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
    await page.getByTestId('use-tabserve-test').click();
    await waitReady();
    const before = await usage();
    await page.getByTestId(`delete-${id}`).click();
    await expect(page.getByTestId(`use-${id}`)).toHaveCount(0);
    await expect.poll(usage, { timeout: 10_000 }).toBeLessThan(before - 0.9 * bytes);
  });
});

test('a browser without a usable WebGPU adapter gets a page that says what is missing and what would work', async () => {
  const args = (config.use?.launchOptions?.args ?? []).filter((a) => a !== '--enable-unsafe-webgpu');
  const bare = await chromium.launch({ executablePath: config.use?.launchOptions?.executablePath, args });
  try {
    const p = await bare.newPage({ viewport: { width: 1100, height: 720 } });
    await p.goto(`${APP_URL}/`);
    const problem = p.getByTestId('problem').first();
    await expect(problem).toBeVisible({ timeout: 30_000 });
    expect(['no-webgpu', 'no-adapter']).toContain(await problem.getAttribute('data-code'));
    await expect(problem).toContainText(/WebGPU/);
    await p.screenshot({ path: 'test-results/screenshots/unsupported.png' });
  } finally {
    await bare.close();
  }
});
