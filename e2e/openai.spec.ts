// The OpenAI API inside a tab: a page calls startTabserve() on a generated model with LLaMA's real 32k
// vocabulary (e2e/global_setup.ts), then the real `openai` SDK talks to fetch('/v1/...'), which the Service
// Worker hands to the inference Worker (WebGPU on SwiftShader here: requests stay small). One tab serves the model for the whole file, as a user's tab
// would; some tests open more tabs in the same context (same Service Worker).
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { E2E_MODEL } from './global_setup.ts';

test.describe.configure({ mode: 'serial' });

const MODEL = E2E_MODEL;
const HELLO = [{ role: 'user' as const, content: 'Say hello' }];

let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
// what the page's fetches were answered by: path -> fromServiceWorker, per response seen
const answered: { path: string; fromServiceWorker: boolean }[] = [];

test.beforeAll(async ({ browser }) => {
  // one context: its tabs share the Service Worker, as tabs of one site do
  context = await browser.newContext();
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('response', (r) => answered.push({ path: new URL(r.url()).pathname, fromServiceWorker: r.fromServiceWorker() }));
  await page.goto(`/e2e/fixtures/openai.html?model=/models/${MODEL}.gguf`);
  await page.evaluate(() => window.tabserve.ready.then(() => undefined));
});

test.afterAll(async () => {
  expect(pageErrors).toEqual([]);
  await context.close();
});

/** The greedy answer to HELLO, not streamed: what later requests must reproduce. */
function helloOnce(p: Page) {
  return p.evaluate(
    async ([model, messages]) => {
      const r = await window.tabserve.client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
      return { object: r.object, content: r.choices[0].message.content, finish: r.choices[0].finish_reason, usage: r.usage };
    },
    [MODEL, HELLO] as const,
  );
}

test('a first visit: startTabserve resolves with the page controlled and the model ready', async () => {
  const state = await page.evaluate(async () => ({ controlled: navigator.serviceWorker.controller !== null, id: (await window.tabserve.ready)?.id, progress: window.tabserve.progress }));
  expect(state).toEqual({ controlled: true, id: MODEL, progress: 1 });
});

test('models.list() and models.retrieve() name the served model', async () => {
  const r = await page.evaluate(async (model) => {
    const list = await window.tabserve.client.models.list();
    const one = await window.tabserve.client.models.retrieve(model);
    return { ids: list.data.map((m) => m.id), object: one.object, created: one.created };
  }, MODEL);
  expect(r.ids).toEqual([MODEL]);
  expect(r.object).toBe('model');
  expect(r.created).toBeLessThan(Date.now() / 1000 + 1); // seconds, not milliseconds
});

test('chat at temperature 0: the streamed text assembles to the non-streamed text', async () => {
  const once = await helloOnce(page);
  expect(once.object).toBe('chat.completion');
  expect(once.content).toBeTruthy();
  expect(once.usage?.completion_tokens).toBeGreaterThan(0);
  const streamed = await page.evaluate(
    async ([model, messages]) => {
      const stream = await window.tabserve.client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0, stream: true });
      const chunks = [];
      for await (const c of stream) chunks.push(c);
      return {
        text: chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''),
        ids: [...new Set(chunks.map((c) => c.id))],
        objects: [...new Set(chunks.map((c) => c.object))],
        firstRole: chunks[0].choices[0].delta.role,
        finishes: chunks.map((c) => c.choices[0]?.finish_reason ?? null),
      };
    },
    [MODEL, HELLO] as const,
  );
  expect(streamed.text).toBe(once.content);
  expect(streamed.ids).toHaveLength(1);
  expect(streamed.objects).toEqual(['chat.completion.chunk']);
  expect(streamed.firstRole).toBe('assistant');
  expect(streamed.finishes.at(-1)).toBe(once.finish);
  expect(streamed.finishes.slice(0, -1).every((f) => f === null)).toBe(true);
});

test('n: 2 gives two choices, by index, streamed and not', async () => {
  const r = await page.evaluate(
    async ([model, messages]) => {
      const c = window.tabserve.client.chat.completions;
      const once = await c.create({ model, messages, max_tokens: 4, temperature: 0.9, seed: 3, n: 2 });
      const stream = await c.create({ model, messages, max_tokens: 4, temperature: 0.9, seed: 3, n: 2, stream: true });
      const texts = ['', ''];
      const finished = [false, false];
      for await (const chunk of stream) {
        for (const ch of chunk.choices) {
          texts[ch.index] += ch.delta.content ?? '';
          if (ch.finish_reason) finished[ch.index] = true;
        }
      }
      return { indexes: once.choices.map((ch) => ch.index), texts: once.choices.map((ch) => ch.message.content), streamed: texts, finished };
    },
    [MODEL, HELLO] as const,
  );
  expect(r.indexes).toEqual([0, 1]);
  expect(r.streamed).toEqual(r.texts); // same seed, same choices
  expect(r.finished).toEqual([true, true]);
});

test('completions with echo and logprobs (the legacy format)', async () => {
  const prompt = 'Hello world';
  const r = await page.evaluate(
    async ([model, prompt]) => {
      const c = await window.tabserve.client.completions.create({ model, prompt, max_tokens: 4, temperature: 0, echo: true, logprobs: 2 });
      return { object: c.object, text: c.choices[0].text, logprobs: c.choices[0].logprobs, usage: c.usage };
    },
    [MODEL, prompt] as const,
  );
  expect(r.object).toBe('text_completion');
  expect(r.text.startsWith(prompt)).toBe(true);
  expect(r.text.length).toBeGreaterThan(prompt.length);
  const lp = r.logprobs!;
  // echo covers the prompt's tokens too (BOS included), then the 4 generated ones
  expect(lp.tokens!.length).toBeGreaterThan(4);
  expect(lp.tokens!.slice(-4).join('')).toBe(r.text.slice(prompt.length));
  expect(lp.token_logprobs!.length).toBe(lp.tokens!.length);
  expect(lp.text_offset!.length).toBe(lp.tokens!.length);
  // the generated tokens (the last 4) have a logprob and at most 2 alternatives
  for (const [i, v] of lp.token_logprobs!.slice(-4).entries()) {
    expect(v).toBeLessThanOrEqual(0);
    expect(Object.keys(lp.top_logprobs!.slice(-4)[i]!).length).toBeGreaterThan(0);
    expect(Object.keys(lp.top_logprobs!.slice(-4)[i]!).length).toBeLessThanOrEqual(2);
  }
});

test('bad inputs become the SDK error classes', async () => {
  const r = await page.evaluate(async (model) => {
    const { client, OpenAI } = window.tabserve;
    const seen = async (call: () => Promise<unknown>) => {
      try {
        await call();
        return { threw: false };
      } catch (e) {
        const err = e as InstanceType<typeof OpenAI.APIError>;
        return {
          badRequest: e instanceof OpenAI.BadRequestError,
          notFound: e instanceof OpenAI.NotFoundError,
          status: err.status,
          param: err.param ?? null,
          code: err.code ?? null,
          type: err.type ?? null,
        };
      }
    };
    const messages = [{ role: 'user' as const, content: 'hi' }];
    return {
      // max_tokens everywhere: a request wrongly accepted must not generate up to the whole context
      field: await seen(() => client.chat.completions.create({ model, messages, temperature: -1, max_tokens: 2 })),
      model: await seen(() => client.chat.completions.create({ model: 'no-such-model', messages, max_tokens: 2 })),
      context: await seen(() => client.chat.completions.create({ model, messages, max_tokens: 1_000_000 })),
      // the SDK sends this as the JSON string "not json": not an object
      json: await seen(() => client.post('/chat/completions', { body: 'not json' as unknown as Record<string, unknown> })),
      route: await seen(() => client.get('/no-such-route')),
    };
  }, MODEL);
  expect(r.field).toMatchObject({ badRequest: true, status: 400, param: 'temperature', type: 'invalid_request_error' });
  expect(r.model).toMatchObject({ notFound: true, status: 404 });
  expect(r.context).toMatchObject({ badRequest: true, status: 400, code: 'context_length_exceeded' });
  expect(r.json).toMatchObject({ badRequest: true, status: 400 });
  expect(r.route).toMatchObject({ notFound: true, status: 404 });
});

test('an abort mid-stream stops generation and frees its KV pages; the next request succeeds', async () => {
  const r = await page.evaluate(
    async ([model, messages]) => {
      const { client } = window.tabserve;
      const tabserve = (await window.tabserve.ready)!;
      // ignore_eos (not in the SDK's types) keeps the model talking until we leave
      const body = { model, messages, max_tokens: 400, temperature: 0, ignore_eos: true, stream: true as const };
      const stream = await client.chat.completions.create(body);
      let pieces = 0;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content && ++pieces === 2) break; // leaving the loop aborts the fetch
      }
      // the cancel travels page -> Service Worker -> inference Worker -> handler; the sequence is freed (or left to
      // the prompt cache) within a decode step
      const t0 = performance.now();
      let kv = await tabserve.kvStats();
      while (kv && kv.freePages + kv.cachedPages !== kv.totalPages && performance.now() - t0 < 20_000) {
        await new Promise((res) => setTimeout(res, 100));
        kv = await tabserve.kvStats();
      }
      return { pieces, kv, freedMs: performance.now() - t0, aborted: stream.controller.signal.aborted };
    },
    [MODEL, HELLO] as const,
  );
  expect(r.pieces).toBe(2);
  expect(r.aborted).toBe(true);
  expect(r.kv!.freePages + r.kv!.cachedPages).toBe(r.kv!.totalPages); // free, or held only by the prompt cache
  const after = await helloOnce(page);
  expect(after.content).toBeTruthy();
});

test('an abort of a non-streamed request stops generation too: its pages come back within a step', async () => {
  const r = await page.evaluate(
    async ([model, messages]) => {
      const { client } = window.tabserve;
      const tabserve = (await window.tabserve.ready)!;
      const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
      const ac = new AbortController();
      // 900 tokens would take minutes on SwiftShader; the answer would come back only when all are made
      const body = { model, messages, max_tokens: 900, temperature: 0, ignore_eos: true };
      const answer = client.chat.completions.create(body, { signal: ac.signal }).then(
        () => 'answered',
        (e: Error) => (e.name === 'AbortError' ? 'AbortError' : e.constructor.name + ': ' + e.message),
      );
      // idle: every page free or held only by the prompt cache
      const idle = (k: { freePages: number; cachedPages: number; totalPages: number }) => k.freePages + k.cachedPages === k.totalPages;
      let kv = (await tabserve.kvStats())!;
      while (idle(kv)) {
        await sleep(20);
        kv = (await tabserve.kvStats())!;
      }
      await sleep(300); // a few tokens into the answer
      ac.abort();
      const outcome = await answer;
      const t0 = performance.now();
      while (!idle(kv) && performance.now() - t0 < 20_000) {
        await sleep(50);
        kv = (await tabserve.kvStats())!;
      }
      return { outcome, free: idle(kv), freedMs: performance.now() - t0 };
    },
    [MODEL, HELLO] as const,
  );
  // before the first token: APIUserAbortError; after it the 200 headers are out (a non-streamed answer commits
  // at its first token) and the SDK's read of the body rejects with the fetch's AbortError
  expect(['APIUserAbortError: Request was aborted.', 'AbortError']).toContain(r.outcome);
  // back within 20 s, where the 900 tokens would take minutes: generation stopped (how fast is not timed:
  // one step on SwiftShader takes seconds when the machine is busy)
  expect(r.free).toBe(true);
  console.log(`pages back ${r.freedMs.toFixed(0)} ms after the abort`);
  expect((await helloOnce(page)).content).toBeTruthy();
});

test('the same request after the browser stopped the Service Worker, the page staying open', async () => {
  const before = await helloOnce(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  const stopped = new Promise<void>((resolve) =>
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      if (versions.some((v) => v.runningStatus === 'stopped')) resolve();
    }),
  );
  await cdp.send('ServiceWorker.stopAllWorkers');
  await stopped;
  const after = await helloOnce(page);
  expect(after).toEqual(before);
  await cdp.detach();
});

test('a tab without a model is served by the tab that has one', async () => {
  const expected = await helloOnce(page);
  const other = await context.newPage();
  try {
    await other.goto('/e2e/fixtures/openai.html?serve=0');
    expect(await other.evaluate(() => window.tabserve.ready)).toBeNull();
    expect(await helloOnce(other)).toEqual(expected);
  } finally {
    await other.close();
  }
});

test('a request naming the model of another tab is served there; when that tab closes mid-stream, the stream ends with an error', async () => {
  const server = await context.newPage();
  const sender = await context.newPage();
  try {
    await server.goto('/e2e/fixtures/openai.html?id=second');
    expect(await server.evaluate(async () => (await window.tabserve.ready)?.id)).toBe('second');
    await sender.goto('/e2e/fixtures/openai.html?serve=0');
    await sender.evaluate(() => window.tabserve.ready);
    const streaming = sender.evaluate(async () => {
      const { client, OpenAI } = window.tabserve;
      const body = { model: 'second', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 400, temperature: 0, ignore_eos: true, stream: true as const };
      const models = new Set<string>();
      try {
        for await (const chunk of await client.chat.completions.create(body)) {
          models.add(chunk.model);
          if (chunk.choices[0]?.delta.content) (window as { pieces?: number }).pieces = ((window as { pieces?: number }).pieces ?? 0) + 1;
        }
        return { models: [...models], error: null };
      } catch (e) {
        return { models: [...models], error: { apiError: e instanceof OpenAI.APIError, message: (e as Error).message } };
      }
    });
    await sender.waitForFunction(() => ((window as { pieces?: number }).pieces ?? 0) >= 2, undefined, { timeout: 60_000 });
    await server.close();
    const r = await streaming; // within the Service Worker's poll of its tabs (1 s), not max_tokens later
    expect(r.models).toEqual(['second']);
    expect(r.error).toMatchObject({ apiError: true, message: expect.stringContaining('closed') });
    const after = await sender.evaluate(async () => {
      const { client, OpenAI } = window.tabserve;
      return client.chat.completions.create({ model: 'second', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }).then(
        () => 'served',
        (e) => (e instanceof OpenAI.NotFoundError ? 'not found' : String(e)),
      );
    });
    expect(after).toBe('not found');
  } finally {
    await server.close();
    await sender.close();
  }
});

test('a page loaded past the Service Worker (as by a shift-reload) is claimed by startTabserve', async () => {
  const other = await context.newPage();
  const cdp = await context.newCDPSession(other);
  try {
    await cdp.send('Network.enable');
    await cdp.send('Network.setBypassServiceWorker', { bypass: true });
    await other.goto('/e2e/fixtures/openai.html?serve=0');
    expect(await other.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
    await cdp.send('Network.setBypassServiceWorker', { bypass: false });
    const id = await other.evaluate(async () => {
      const t = await window.tabserve.startTabserve({ model: '/models/tabserve-test.gguf', id: 'claimed' });
      t.stop();
      return { id: t.id, controlled: navigator.serviceWorker.controller !== null };
    });
    expect(id).toEqual({ id: 'claimed', controlled: true });
  } finally {
    await cdp.detach();
    await other.close();
  }
});

test('only /v1/* and /health are intercepted: other same-origin fetches go to the network', async () => {
  answered.length = 0;
  const r = await page.evaluate(async () => {
    const health = await fetch('/health');
    const icon = await fetch('/favicon.svg');
    return { health: health.status, icon: icon.status, iconType: icon.headers.get('content-type') };
  });
  expect(r.health).toBe(200);
  expect(r).toMatchObject({ icon: 200, iconType: expect.stringContaining('svg') });
  expect(answered.find((a) => a.path === '/health')?.fromServiceWorker).toBe(true);
  expect(answered.find((a) => a.path === '/favicon.svg')?.fromServiceWorker).toBe(false);
});
