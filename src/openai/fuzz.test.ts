/**
 * 200+ malformed request bodies per route (invalid JSON text, non-object values, every known field with a
 * wrong type or range, huge numbers, nested junk) each become an ApiError with a 4xx status and a
 * well-formed OpenAI error object; nothing else escapes the validation layer. Plus the routes that need
 * no model, through handle() with hosts that are loading or failed.
 */
import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../util/rng.ts';
import { readChatRequest } from './chat_request.ts';
import { readCompletionRequest } from './completion_request.ts';
import { ApiError } from './errors.ts';
import { handle, type HostView } from './handler.ts';

const ctx = { modelId: 'tiny', nVocab: 1000 };
const rng = mulberry32(20240605);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

/** Deeply nested junk: arrays and objects of random scalars. */
function junk(depth: number): unknown {
  const scalars = [null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53, '', 'x', '\u0000', '😀', 'a'.repeat(1000)];
  if (depth <= 0 || rng() < 0.4) return pick(scalars);
  if (rng() < 0.5) return Array.from({ length: Math.floor(rng() * 4) }, () => junk(depth - 1));
  return Object.fromEntries(Array.from({ length: Math.floor(rng() * 4) }, (_, i) => [pick(['a', 'role', 'content', '__proto__', 'type', String(i)]), junk(depth - 1)]));
}

const deep = (n: number): unknown => (n === 0 ? [] : [deep(n - 1)]);
const notString = [5, true, {}, [], 1e308];
const notNumber = ['1', true, {}, [], [1]];
const notBool = ['true', 1, 0, {}, []];

/** Values that are wrong for each field on both routes. */
const badShared: Record<string, readonly unknown[]> = {
  model: [...notString, 'gpt-4o', 'tiny ', ''],
  temperature: [...notNumber, -0.1, -1e308],
  top_p: [...notNumber, 0, -1, 1.01, 1e308],
  top_k: [...notNumber, -2, 1.5, 1e308],
  min_p: [...notNumber, -0.1, 1.1],
  frequency_penalty: [...notNumber, 2.5, -1e308],
  presence_penalty: [...notNumber, -2.5, 1e308],
  repetition_penalty: [...notNumber, 0, -1],
  penalty_last_n: [...notNumber, -2, 0.5],
  logit_bias: ['x', 5, [1, 2], { x: 1 }, { '-1': 1 }, { 1000: 1 }, { 1: 101 }, { 1: '1' }, { 1e3: 1 }, { ' 1': 1 }],
  seed: [...notNumber, 1.5, 2 ** 60, 1e308],
  stop: [5, {}, [1], [null], Array(17).fill('s'), deep(50)],
  stop_token_ids: ['1', 1, [1.5], [-1], [1000], [{}]],
  min_tokens: [...notNumber, -1, 0.5],
  ignore_eos: notBool,
  max_tokens: [...notNumber, 0, -1, 1.5, 1e308],
  max_completion_tokens: [...notNumber, 0, -3],
  n: [...notNumber, 0, -1, 17, 1.5, 1e308],
  stream: notBool,
  stream_options: ['x', 1, [], { include_usage: 'yes' }, { include_usage: 1 }],
  user: notString,
};
const badChat: Record<string, readonly unknown[]> = {
  ...badShared,
  messages: ['hi', 5, {}, [], [null], [5], [[]], [{}], [{ role: 'bot', content: 'x' }], [{ role: 'user' }], [{ role: 'user', content: 5 }],
    [{ role: 'user', content: [{ type: 'image_url' }] }], [{ role: 'user', content: [{ type: 'text', text: 5 }] }], [{ role: 'user', content: {} }],
    [{ role: 'assistant', content: null, tool_calls: [{}] }], [{ role: 'user', content: 'x', name: 5 }], deep(200)],
  logprobs: [1, 'true', {}, []],
  top_logprobs: [...notNumber, -1, 21, 2.5],
  tools: ['x', {}, [5], [{ type: 'function' }], [{ type: 'function', function: { name: '' } }], [{ type: 'f', function: { name: 'a' } }]],
  tool_choice: ['required', { type: 'function', function: { name: 'a' } }, 5, 'sometimes'],
  parallel_tool_calls: notBool,
  response_format: [
    'json',
    5,
    { type: 'json_schema', json_schema: {} },
    { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'objekt' } } },
    { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string', pattern: '^a' } } },
    { type: 'json_schema', json_schema: { name: 'bad name!', schema: {} } },
    { type: 'yaml' },
    {},
  ],
  chat_template_kwargs: ['x', 5, []],
};
const badCompletion: Record<string, readonly unknown[]> = {
  ...badShared,
  prompt: [5, true, {}, [], [[]], [1, 'a'], [[1], 'a'], [1.5], [-1], [1000], [[2000]], [{}], Array(65).fill('p'), deep(100)],
  logprobs: [true, '1', -1, 21, 1.5, {}],
  echo: notBool,
  suffix: ['end', 5, {}],
  best_of: ['2', 3, 1.5],
};

const validChat = { model: 'tiny', messages: [{ role: 'user', content: 'hi' }] };
const validCompletion = { model: 'tiny', prompt: 'hi' };

/** One malformed body as JSON text. */
function malformed(valid: Record<string, unknown>, bad: Record<string, readonly unknown[]>): string {
  const kind = rng();
  if (kind < 0.15) {
    // broken JSON: a valid body cut short, with stray characters, or not JSON at all
    const text = JSON.stringify({ ...valid, junk: junk(3) });
    return pick([text.slice(0, Math.floor(rng() * text.length)), text + pick(['}', ',', 'x']), pick(['', 'hello', "{'a':1}", '{"a":1,}', 'NaN', '[', '\ufeff{}'])]);
  }
  if (kind < 0.25) return JSON.stringify(pick([null, 1, 'body', true, [], [valid], junk(4)]));
  const body: Record<string, unknown> = { ...valid };
  if (rng() < 0.5) body[pick(['frobnicate', 'metadata', 'store', 'x_'])] = junk(4); // unknown fields are ignored
  const fields = Object.keys(bad);
  const nBad = 1 + Math.floor(rng() * 3);
  for (let i = 0; i < nBad; i++) {
    const f = pick(fields);
    body[f] = pick(bad[f]);
  }
  return JSON.stringify(body);
}

function expectErrorShape(e: unknown, label: string): void {
  expect(e, label).toBeInstanceOf(ApiError);
  const err = e as ApiError;
  expect(err.status, label).toBeGreaterThanOrEqual(400);
  expect(err.status, label).toBeLessThan(500);
  const o = err.toObject();
  expect(typeof o.message, label).toBe('string');
  expect(o.message.length, label).toBeGreaterThan(0);
  expect(o.type, label).toBe('invalid_request_error');
  expect(o.param === null || typeof o.param === 'string', label).toBe(true);
  expect(o.code === null || typeof o.code === 'string', label).toBe(true);
}

describe.each([
  ['chat', validChat, badChat, readChatRequest],
  ['completions', validCompletion, badCompletion, readCompletionRequest],
] as const)('%s: 200 malformed bodies', (_name, valid, bad, read) => {
  test('the valid body passes', () => {
    expect(() => read(JSON.stringify(valid), ctx)).not.toThrow();
  });

  test('each one is a 4xx OpenAI error', () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const text = malformed(valid, bad);
      let thrown: unknown;
      try {
        read(text, ctx);
      } catch (e) {
        thrown = e;
      }
      expectErrorShape(thrown, text.slice(0, 300));
      const s = (thrown as ApiError).status;
      statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    expect(statuses.get(400)).toBeGreaterThan(150);
  });

  test('every listed bad value of every field is caught, naming the field where one is named', () => {
    for (const [f, values] of Object.entries(bad)) {
      for (const v of values) {
        const label = `${f}: ${JSON.stringify(v)?.slice(0, 80)}`;
        let thrown: unknown;
        try {
          read(JSON.stringify({ ...valid, [f]: v }), ctx);
        } catch (e) {
          thrown = e;
        }
        expectErrorShape(thrown, label);
        // a sub-field is named in full (messages[0].role, stream_options.include_usage)
        expect((thrown as ApiError).param?.startsWith(f === 'max_completion_tokens' ? 'max_completion_tokens' : f), label).toBe(true);
      }
    }
  });
});

describe('handle() without a ready model', () => {
  const loading: HostView = { id: 'tiny', created: 1700000000, state: { kind: 'loading', progress: { loadedBytes: 25, totalBytes: 100, tensor: 'x' } } };
  const failed: HostView = { id: 'tiny', created: 1700000000, state: { kind: 'failed', error: new Error('out of memory') } };
  const call = (host: HostView, path: string, init: RequestInit = {}) => handle(new Request(`http://x${path}`, init), host);
  const post = (host: HostView, path: string, body: string) => call(host, path, { method: 'POST', body });

  test('health: 503 loading with progress and retry-after; 500 failed', async () => {
    const r = await call(loading, '/health');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(await r.json()).toEqual({ status: 'loading', progress: 0.25 });
    const f = await call(failed, '/health');
    expect(f.status).toBe(500);
    expect((await f.json()).status).toBe('failed');
  });

  test('models list and lookup answer while loading', async () => {
    expect(await (await call(loading, '/v1/models')).json()).toEqual({ object: 'list', data: [{ id: 'tiny', object: 'model', created: 1700000000, owned_by: 'tabserve' }] });
    expect(await (await call(loading, '/v1/models/tiny')).json()).toMatchObject({ id: 'tiny', object: 'model' });
    const host = { ...loading, id: 'org/model' };
    expect((await call(host, '/v1/models/org/model')).status).toBe(200);
    expect((await call(host, '/v1/models/org%2Fmodel')).status).toBe(200);
    const missing = await call(loading, '/v1/models/gpt-4o');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { message: expect.stringContaining('gpt-4o'), type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
  });

  test('generation routes: 503 + retry-after while loading; 500 + x-should-retry false when failed', async () => {
    for (const path of ['/v1/chat/completions', '/v1/completions']) {
      const r = await post(loading, path, JSON.stringify(validChat));
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
      expect((await r.json()).error).toMatchObject({ code: 'model_loading', message: expect.stringContaining('25%') });
      const f = await post(failed, path, '{');
      expect(f.status).toBe(500);
      expect(f.headers.get('x-should-retry')).toBe('false');
      expect((await f.json()).error).toMatchObject({ code: 'model_load_failed', message: expect.stringContaining('out of memory') });
    }
  });

  test('unknown route 404, wrong method 405 with allow, trailing slash tolerated', async () => {
    const r = await call(loading, '/v1/embeddings', { method: 'POST', body: '{}' });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect((await r.json()).error).toMatchObject({ type: 'invalid_request_error', param: null, message: 'Invalid URL (POST /v1/embeddings)' });
    const m = await call(loading, '/v1/chat/completions');
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('POST');
    expect((await call(loading, '/v1/models', { method: 'DELETE' })).status).toBe(405);
    expect((await call(loading, '/v1/models/')).status).toBe(200);
  });
});
