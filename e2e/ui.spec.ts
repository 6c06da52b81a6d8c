// The chat elements in headless Chromium, mounted with data only by e2e/fixtures/ui.ts: markdown and its
// safety against hostile model output, the input's keys, the messages' and panels' events, persistence in
// IndexedDB across a reload. <chat-page>'s turns run against the real model in e2e/app.spec.ts.
import { expect, test, type Page } from '@playwright/test';
import type { ChatMessage, Conversation } from '../src/app/conversations.ts';

let errors: string[] = [];

test.beforeEach(async ({ page }) => {
  errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/e2e/fixtures/ui.html');
  await page.waitForFunction(() => window.ui !== undefined);
});

test.afterEach(() => {
  expect(errors).toEqual([]);
});

const events = (page: Page) => page.evaluate(() => window.ui.events);

test('markdown renders headings, lists, code, tables and an unclosed fence', async ({ page }) => {
  const text = '# Heading\n\nSome **bold** text\nnext line\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```js\nconst x = 1 < 2;\n```\n\n```py\nprint("streaming")';
  await page.evaluate((text) => window.ui.mount('chat-markdown', { text }), text);
  const md = page.locator('chat-markdown');
  await expect(md.locator('h1')).toHaveText('Heading');
  await expect(md.locator('strong')).toHaveText('bold');
  await expect(md.locator('br')).toHaveCount(1);
  await expect(md.locator('li')).toHaveText(['one', 'two']);
  await expect(md.locator('td')).toHaveText(['1', '2']);
  await expect(md.locator('pre code')).toHaveText(['const x = 1 < 2;\n', 'print("streaming")\n']);
});

test('hostile model output shows as text and never runs', async ({ page }) => {
  const text = [
    'An image: <img src=x onerror="window.__pwned=1">',
    '',
    '<script>window.__pwned=1</script>',
    '',
    'A [x](javascript:window.__pwned=1) link, a [safe](https://example.com/) one, ![pic](https://example.com/p.png)',
  ].join('\n');
  await page.evaluate((content) => window.ui.mount('chat-message', { message: { role: 'assistant', content } }), text);
  const md = page.locator('chat-markdown');
  await expect(md).toContainText('An image: <img src=x onerror="window.__pwned=1">');
  await expect(md).toContainText('<script>window.__pwned=1</script>');
  await expect(md.locator('img, script, iframe')).toHaveCount(0);
  const bad = md.getByText('x', { exact: true });
  await expect(bad).toBeVisible();
  expect(await bad.evaluate((a) => a.getAttribute('href'))).toBeNull();
  await bad.click();
  const safe = md.getByRole('link', { name: 'safe' });
  await expect(safe).toHaveAttribute('href', 'https://example.com/');
  await expect(safe).toHaveAttribute('target', '_blank');
  await expect(safe).toHaveAttribute('rel', 'noopener noreferrer');
  // an image becomes a link: nothing loads without a click
  await expect(md.getByRole('link', { name: 'pic' })).toHaveAttribute('href', 'https://example.com/p.png');
  // and a user's own text is plain text, not markdown or HTML
  await page.evaluate(() => window.ui.mount('chat-message', { message: { role: 'user', content: '<img src=x onerror="window.__pwned=1"> **not bold**' } }));
  await expect(page.locator('chat-message')).toContainText('<img src=x onerror="window.__pwned=1"> **not bold**');
  await expect(page.locator('chat-message').locator('img, strong')).toHaveCount(0);
  await page.waitForTimeout(200);
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
});

test('message-input sends on Enter, not on Shift+Enter, and offers Stop while busy', async ({ page }) => {
  await page.evaluate(() => window.ui.mount('message-input'));
  const box = page.getByTestId('message-input');
  await box.click();
  await box.pressSequentially('hello');
  await box.press('Shift+Enter');
  await box.pressSequentially('world');
  expect(await events(page)).toEqual([]);
  await box.press('Enter');
  expect(await events(page)).toEqual([{ type: 'send', detail: { text: 'hello\nworld' } }]);
  await expect(box).toHaveValue('');
  await box.press('Enter'); // blank: nothing
  await page.evaluate(() => (document.querySelector('message-input')!.busy = true));
  await box.pressSequentially('later');
  await box.press('Enter');
  await expect(page.getByTestId('send')).toBeDisabled();
  await page.getByTestId('stop').click();
  expect(await events(page)).toEqual([{ type: 'send', detail: { text: 'hello\nworld' } }, { type: 'stop', detail: null }]);
  await expect(box).toHaveValue('later'); // kept until it can be sent
});

test('chat-message shows stats, errors and typing, and fires edit and regenerate', async ({ page }) => {
  const answer: ChatMessage = { role: 'assistant', content: 'Hi!', stats: { ttftMs: 120, tokensPerSecond: 14.2, completionTokens: 48, promptTokens: 9 }, finishReason: 'stopped' };
  await page.evaluate((message) => window.ui.mount('chat-message', { message, last: true }), answer);
  await expect(page.getByTestId('stats')).toHaveText('TTFT 120 ms · 14.2 tok/s · 48 tokens');
  await expect(page.getByTestId('finish')).toHaveText('stopped');
  await page.getByRole('button', { name: 'Regenerate' }).click();
  expect(await events(page)).toEqual([{ type: 'regenerate', detail: null }]);

  await page.evaluate(() => window.ui.mount('chat-message', { message: { role: 'assistant', content: '' }, streaming: true, last: true }));
  await expect(page.getByTestId('typing')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Regenerate' })).toHaveCount(0);

  await page.evaluate(() => window.ui.mount('chat-message', { message: { role: 'assistant', content: '', error: 'The model is still loading — wait a moment and resend.' } }));
  await expect(page.getByTestId('error')).toHaveText('The model is still loading — wait a moment and resend.');

  await page.evaluate(() => window.ui.mount('chat-message', { message: { role: 'user', content: 'old question' } }));
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByTestId('edit-input').fill('new question');
  await page.getByRole('button', { name: 'Send' }).click();
  expect((await events(page)).at(-1)).toEqual({ type: 'edit', detail: { text: 'new question' } });
});

test('conversation-view shows an empty state and tells which message was edited', async ({ page }) => {
  await page.evaluate(() => window.ui.mount('conversation-view', { messages: [] }));
  await expect(page.getByTestId('empty')).toHaveText('Send a message to start');
  const messages: ChatMessage[] = [
    { role: 'user', content: 'a' },
    { role: 'assistant', content: 'b' },
    { role: 'user', content: 'c' },
    { role: 'assistant', content: 'd' },
  ];
  await page.evaluate((messages) => window.ui.mount('conversation-view', { messages }), messages);
  await expect(page.getByTestId('assistant')).toHaveCount(2);
  await page.getByTestId('user').nth(1).getByRole('button', { name: 'Edit' }).click();
  await page.getByTestId('edit-input').fill('c2');
  await page.getByTestId('edit-input').press('Enter');
  await expect(page.getByTestId('regenerate')).toHaveCount(1); // only on the last answer
  await page.getByTestId('regenerate').click();
  expect(await events(page)).toEqual([
    { type: 'edit', detail: { index: 2, text: 'c2' } },
    { type: 'regenerate', detail: { index: 3 } },
  ]);
});

test('conversation-list selects, starts and deletes (after confirming) conversations', async ({ page }) => {
  const now = Date.now();
  const list: Conversation[] = [
    { id: 'a', title: 'First', createdAt: now, updatedAt: now, messages: [] },
    { id: 'b', title: 'Second', createdAt: now, updatedAt: now - 3 * 3_600_000, messages: [] },
  ];
  await page.evaluate((conversations) => window.ui.mount('conversation-list', { conversations, selectedId: 'a' }), list);
  const items = page.getByTestId('conversation');
  await expect(items).toHaveCount(2);
  await expect(items.nth(1)).toContainText('Second');
  await expect(items.nth(1)).toContainText('3 h ago');
  await items.nth(1).getByRole('button', { name: /Second/ }).first().click();
  await page.getByTestId('new-chat').click();
  await items.nth(1).getByTestId('delete').click();
  expect((await events(page)).map((e) => e.type)).toEqual(['select', 'new-chat']);
  await items.nth(1).getByTestId('delete').click();
  expect(await events(page)).toEqual([
    { type: 'select', detail: { id: 'b' } },
    { type: 'new-chat', detail: null },
    { type: 'delete', detail: { id: 'b' } },
  ]);
});

test('params-panel announces only valid settings', async ({ page }) => {
  await page.evaluate(() => window.ui.mount('params-panel', { settings: { ...window.ui.conversations.DEFAULT_SETTINGS } }));
  const set = async (field: string, value: string) => {
    await page.getByTestId(`param-${field}`).fill(value);
    await page.getByTestId(`param-${field}`).press('Tab');
  };
  await set('temperature', '0.3');
  await set('top_p', '1.5');
  await expect(page.getByTestId('param-error-top_p')).toHaveText('top_p must be more than 0 and at most 1');
  await set('top_k', 'abc');
  await expect(page.getByTestId('param-error-top_k')).toBeVisible();
  await set('top_p', '0.9');
  await set('top_k', '40');
  await set('seed', '42');
  await set('system', 'Be brief.');
  const fired = (await events(page)).map((e) => e.type === 'settings-change' && (e.detail as { settings: unknown }).settings);
  const d = { system: '', temperature: 0.7, top_p: 0.95, top_k: null, max_tokens: 512, seed: null };
  // nothing while top_p or top_k is bad; each event carries the whole valid form
  expect(fired).toEqual([
    { ...d, temperature: 0.3 },
    { ...d, temperature: 0.3, top_p: 0.9, top_k: 40 },
    { ...d, temperature: 0.3, top_p: 0.9, top_k: 40, seed: 42 },
    { ...d, temperature: 0.3, top_p: 0.9, top_k: 40, seed: 42, system: 'Be brief.' },
  ]);
  await expect(page.locator('params-panel [role=alert]')).toHaveCount(0);
});

test('conversations and settings survive a reload in IndexedDB', async ({ page }) => {
  const c: Conversation = {
    id: 'kept',
    title: 'Persist me',
    createdAt: 1000,
    updatedAt: 2000,
    messages: [
      { role: 'user', content: 'Persist me' },
      { role: 'assistant', content: '**yes**', stats: { ttftMs: 5, tokensPerSecond: 10, completionTokens: 2, promptTokens: 3 }, finishReason: 'stop' },
    ],
  };
  const settings = { system: 'S', temperature: 0.2, top_p: 0.5, top_k: 7, max_tokens: 64, seed: 3 };
  await page.evaluate(async ([c, settings]) => {
    const store = window.ui.conversations;
    await store.saveConversation(c);
    await store.saveConversation({ ...c, id: 'gone', updatedAt: 3000 });
    await store.deleteConversation('gone');
    await store.saveSettings(settings);
  }, [c, settings] as const);
  await page.reload();
  await page.waitForFunction(() => window.ui !== undefined);
  const back = await page.evaluate(async () => ({ list: await window.ui.conversations.loadConversations(), settings: await window.ui.conversations.loadSettings() }));
  expect(back).toEqual({ list: [c], settings });
});
