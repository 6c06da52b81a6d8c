/**
 * The OpenAI routes over real HTTP (`startServer`, what `tabserve serve` runs) with the real `openai` SDK:
 * the protocol cases, 200 malformed requests, aborted streams, and the CLI itself.
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { CLI, ROOT } from '../testing/paths.ts';
import { makeModel } from '../testing/models.ts';
import { mulberry32 } from '../util/rng.ts';
import { ModelHost } from './host.ts';
import { startServer } from './node_server.ts';

const MODEL = { name: 'serve llama-spm vocab', vocab: 'llama-spm', args: ['--arch', 'llama', '--type', 'q8_0', '--embd', '64', '--heads', '2', '--kv-heads', '1', '--ff', '128', '--ctx', '256'] };
let gpu: Gpu;
let host: ModelHost;
let server: Server;
let url: string;
let client: OpenAI;

beforeAll(async () => {
  gpu = await openTestGpu();
  host = new ModelHost(gpu, await fileSource(makeModel(MODEL)), 'test-model', { contextTokens: 256 });
  await host.loaded();
  ({ server, url } = await startServer(host, { port: 0 }));
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(() => {
  server?.close();
  host?.unload();
  gpu?.device.destroy();
});

const freePages = () => {
  const s = host.state;
  if (s.kind !== 'ready') throw new Error('not ready');
  return s.engine.kvStats();
};

describe('with the openai SDK', () => {
  const messages = [{ role: 'user' as const, content: 'Say something' }];

  test('chat: a stream assembles to the non-stream text at temperature 0; usage; n = 2', async () => {
    const full = await client.chat.completions.create({ model: 'test-model', messages, temperature: 0, max_tokens: 12 });
    expect(full.object).toBe('chat.completion');
    expect(full.choices[0].message.role).toBe('assistant');
    expect(full.usage?.completion_tokens).toBeGreaterThan(0);
    let text = '';
    let finish: string | null = null;
    for await (const chunk of await client.chat.completions.create({ model: 'test-model', messages, temperature: 0, max_tokens: 12, stream: true })) {
      expect(chunk.id).toMatch(/^chatcmpl-/);
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(full.choices[0].message.content);
    expect(finish).toBe(full.choices[0].finish_reason);
    const two = await client.chat.completions.create({ model: 'test-model', messages, temperature: 1, seed: 3, n: 2, max_tokens: 8 });
    expect(two.choices.map((c) => c.index)).toEqual([0, 1]);
  });

  test('completions with echo and logprobs; models.list', async () => {
    const r = await client.completions.create({ model: 'test-model', prompt: 'Once upon', echo: true, logprobs: 2, max_tokens: 5, temperature: 0 });
    expect(r.object).toBe('text_completion');
    expect(r.choices[0].text.startsWith('Once upon')).toBe(true);
    expect(r.choices[0].logprobs?.tokens?.length).toBeGreaterThan(0);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['test-model']);
  });

  test('errors map to the SDK error classes', async () => {
    await expect(client.chat.completions.create({ model: 'nope', messages })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const bad = await client.chat.completions.create({ model: 'test-model', messages, temperature: -1 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    const long = await client.completions.create({ model: 'test-model', prompt: 'word '.repeat(400), max_tokens: 4 }).catch((e: unknown) => e);
    expect(long).toBeInstanceOf(OpenAI.BadRequestError);
    expect((long as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
  });

  test('an abort mid-stream, then a request that succeeds; 20 aborted streams leave no KV pages', async () => {
    const { totalPages } = freePages();
    for (let i = 0; i < 20; i++) {
      const ac = new AbortController();
      const stream = await client.chat.completions.create({ model: 'test-model', messages, max_tokens: 200, stream: true, temperature: 1 }, { signal: ac.signal });
      let n = 0;
      // the SDK ends the iteration quietly (or throws APIUserAbortError) once its signal aborts
      await (async () => {
        for await (const _ of stream) if (++n === 2) ac.abort();
      })().catch((e: unknown) => expect(e).toBeInstanceOf(OpenAI.APIUserAbortError));
      expect(n).toBe(2);
    }
    const ok = await client.chat.completions.create({ model: 'test-model', messages, max_tokens: 4 });
    expect(ok.choices[0].message.content).toBeTypeOf('string');
    await expect.poll(() => freePages().freePages + freePages().cachedPages, { timeout: 10_000 }).toBe(totalPages); // free, or held only by the prompt cache
  });
});

test('an aborted non-streamed request stops generating within a step and frees its pages', async () => {
  const s = host.state;
  if (s.kind !== 'ready') throw new Error('not ready');
  const engine = s.engine;
  const { totalPages } = engine.kvStats();
  // count the engine's forward passes (generation calls step() greedy, prefill() otherwise)
  let calls = 0;
  const step = engine.step.bind(engine);
  const prefill = engine.prefill.bind(engine);
  engine.step = (...a) => (calls++, step(...a));
  engine.prefill = (...a) => (calls++, prefill(...a));
  try {
    const ac = new AbortController();
    // 240 tokens: more than the time the test gives it; ignore_eos keeps it going (not in the SDK's types)
    const body = { model: 'test-model', prompt: 'Once', max_tokens: 240, temperature: 0, ignore_eos: true };
    const answer = client.completions.create(body, { signal: ac.signal }).catch((e: unknown) => e);
    await expect.poll(() => calls, { timeout: 30_000, interval: 5 }).toBeGreaterThan(3);
    ac.abort();
    expect(await answer).toBeInstanceOf(OpenAI.APIUserAbortError);
    await expect.poll(() => engine.kvStats().freePages + engine.kvStats().cachedPages, { timeout: 10_000 }).toBe(totalPages);
    const atFree = calls;
    await new Promise((r) => setTimeout(r, 500));
    expect(calls).toBe(atFree); // nothing runs on after the pages came back
    expect(calls).toBeLessThan(120);
  } finally {
    engine.step = step;
    engine.prefill = prefill;
  }
});

test('CORS: a preflight is answered and every response allows any origin', async () => {
  const pre = await fetch(`${url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'http://example.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe('*');
  expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
  expect(pre.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
  const get = await fetch(`${url}/v1/models`, { headers: { origin: 'http://example.test' } });
  expect(get.headers.get('access-control-allow-origin')).toBe('*');
  const missing = await fetch(`${url}/v1/nothing`);
  expect(missing.status).toBe(404);
  expect(missing.headers.get('access-control-allow-origin')).toBe('*');
});

describe('malformed requests', () => {
  test('200 fuzzed bodies each get a 4xx OpenAI error; a valid request still works after them', async () => {
    const rng = mulberry32(5);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rng() * a.length)];
    const junk = (): unknown => pick<() => unknown>([() => null, () => -1e308, () => 'x'.repeat(Math.floor(rng() * 50)), () => [junk()], () => ({ a: junk() }), () => rng() < 0.5, () => NaN, () => 2 ** 53 + 1])();
    // max_tokens and n stay small (their validation has its own fuzz in fuzz.test.ts): valid junk elsewhere
    // then costs a 2-token generation
    const fields = ['model', 'messages', 'prompt', 'temperature', 'top_p', 'top_k', 'stop', 'logprobs', 'top_logprobs', 'logit_bias', 'seed', 'stream', 'stream_options', 'echo', 'presence_penalty'];
    for (let i = 0; i < 200; i++) {
      const route = pick(['chat/completions', 'completions']);
      let body: string;
      const kind = i % 4;
      if (kind === 0) body = pick(['{', 'not json', '[]', '"text"', '42', '{"model": }', '']);
      else {
        const obj: Record<string, unknown> = route === 'completions' ? { model: 'test-model', prompt: 'hi', max_tokens: 2 } : { model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 };
        const n = 1 + Math.floor(rng() * 3);
        for (let j = 0; j < n; j++) obj[pick(fields)] = junk();
        body = JSON.stringify(obj);
        if (!body.includes('null') && kind === 3) body = body.replace('"model"', '"messages":7,"model"');
      }
      const r = await fetch(`${url}/v1/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await r.text();
      if (r.status === 200) continue; // junk that happens to be valid (e.g. a null optional field)
      expect(r.status, `${route} ${body}: ${text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${route} ${body}: ${text}`).toBeLessThan(500);
      const err = JSON.parse(text).error;
      expect(typeof err.message).toBe('string');
      expect(err.type).toBeTypeOf('string');
    }
    const ok = await client.chat.completions.create({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    expect(ok.choices).toHaveLength(1);
  });
});

test('tabserve serve: answers 503 or 200 on /health, then the routes; stops on SIGTERM', async () => {
  const env = { ...process.env };
  for (const k of ['VK_ICD_FILENAMES', 'LD_LIBRARY_PATH', 'TABSERVE_GPU_ENV']) if (env.TABSERVE_SYSTEM_VULKAN !== '1') delete env[k];
  const child = spawn(process.execPath, [CLI, 'serve', '--model', makeModel(MODEL), '--port', '0', '--id', 'cli-model'], { cwd: ROOT, env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no address printed: ${out}`)), 60_000);
    child.stdout.on('data', () => {
      const m = out.match(/serving cli-model at (http:\/\/\S+)\/v1/);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
  await expect.poll(async () => (await fetch(`${base}/health`)).status, { timeout: 60_000 }).toBe(200);
  const models = await (await fetch(`${base}/v1/models`)).json();
  expect(models.data[0].id).toBe('cli-model');
  child.kill('SIGTERM');
  const [code] = await new Promise<[number | null]>((resolve) => child.on('close', (c) => resolve([c])));
  expect(code).toBe(0);
});
