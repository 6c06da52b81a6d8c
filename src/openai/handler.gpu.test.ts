/**
 * handle() on a real ModelHost (a generated model with LLaMA's real SentencePiece vocabulary: BOS, byte
 * fallback, the leading-space rule; 32k tokens keep a decode step ~4x cheaper than Qwen2's 152k) without HTTP: the wire
 * format of both routes streamed and not, n > 1 from one prefilled prompt, logprobs in both formats,
 * echo, usage, errors with their statuses, and cancellation freeing every KV page.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Engine, KvStats } from '../engine/engine.ts';
import { generate } from '../engine/generate.ts';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { samplingParams } from '../sampling/params.ts';
import { makeModel } from '../testing/models.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { handle } from './handler.ts';
import { ModelHost } from './host.ts';

const MODEL = { name: 'openai llama-spm vocab', vocab: 'llama-spm', args: ['--arch', 'llama', '--type', 'q8_0', '--embd', '64', '--heads', '2', '--kv-heads', '1', '--ff', '128', '--ctx', '256'] };
const ID = 'tiny-llama';
let gpu: Gpu;
let host: ModelHost;
let engine: Engine;
let tok: Tokenizer;

beforeAll(async () => {
  gpu = await openTestGpu();
  host = new ModelHost(gpu, await fileSource(makeModel(MODEL)), ID, { contextTokens: 256 });
  await host.loaded();
  const s = host.state;
  if (s.kind !== 'ready') throw new Error(`model failed to load: ${s.kind === 'failed' ? s.error.message : s.kind}`);
  ({ engine, tokenizer: tok } = s);
});
afterAll(() => {
  host?.unload();
  gpu?.device.destroy();
});

// A test-only view of response JSON; each test checks the fields it reads.
type Json = Record<string, any>;

const request = (path: string, body: unknown, signal?: AbortSignal) =>
  handle(new Request(`http://localhost${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), signal }), host);
const chat = (body: Json, signal?: AbortSignal) => request('/v1/chat/completions', { model: ID, ...body }, signal);
const completion = (body: Json, signal?: AbortSignal) => request('/v1/completions', { model: ID, ...body }, signal);

/** The data of every SSE event; the last must be [DONE] (checked) and is dropped. */
async function events(r: Response): Promise<Json[]> {
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await r.text();
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  const parts = text.split('\n\n').filter((p) => p !== '');
  for (const p of parts) expect(p.startsWith('data: ')).toBe(true);
  return parts.slice(0, -1).map((p) => JSON.parse(p.slice('data: '.length)) as Json);
}

const messages = [{ role: 'user', content: 'Tell me a story about a cat.' }];
/** No page leaked: every page is free or held only by the prompt cache. */
const idle = (k: KvStats) => k.freePages + k.cachedPages === k.totalPages;
const allFree = () => idle(engine.kvStats());

describe('chat', () => {
  test('stream assembles to the non-stream text at temperature 0; chunk shape; usage', async () => {
    const r = await chat({ messages, temperature: 0, max_tokens: 8 });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    const full = (await r.json()) as Json;
    expect(full).toMatchObject({ object: 'chat.completion', model: ID, choices: [{ index: 0, message: { role: 'assistant', refusal: null }, logprobs: null }] });
    expect(full.id).toMatch(/^chatcmpl-/);
    expect(Math.abs(full.created - Date.now() / 1000)).toBeLessThan(120); // seconds, not milliseconds
    expect(full.usage.prompt_tokens).toBeGreaterThan(5);
    expect(full.usage.total_tokens).toBe(full.usage.prompt_tokens + full.usage.completion_tokens);
    expect(['stop', 'length']).toContain(full.choices[0].finish_reason);

    const chunks = await events(await chat({ messages, temperature: 0, max_tokens: 8, stream: true }));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    for (const c of chunks) {
      expect(c).toMatchObject({ object: 'chat.completion.chunk', model: ID });
      expect('usage' in c).toBe(false);
    }
    expect(chunks[0].choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
    const last = chunks[chunks.length - 1].choices[0];
    expect(last.finish_reason).toBe(full.choices[0].finish_reason);
    expect(last.delta).toEqual({});
    for (const c of chunks.slice(1, -1)) expect(c.choices[0].finish_reason).toBeNull();
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(full.choices[0].message.content);
  });

  test('include_usage: a final choices:[] chunk, usage null on the others', async () => {
    const chunks = await events(await chat({ messages, temperature: 0, max_tokens: 3, ignore_eos: true, stream: true, stream_options: { include_usage: true } }));
    const last = chunks.pop()!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 3 });
    expect(last.usage.total_tokens).toBe(last.usage.prompt_tokens + 3);
    for (const c of chunks) expect(c.usage).toBeNull();
  });

  test('n = 2 with a seed: choice i reproduces a single request with seed + i (prompt prefilled once, forked)', async () => {
    const body = { messages, temperature: 1, seed: 11, max_tokens: 6, ignore_eos: true };
    const two = (await (await chat({ ...body, n: 2 })).json()) as Json;
    expect(two.choices.map((c: Json) => c.index)).toEqual([0, 1]);
    const [a, b] = two.choices.map((c: Json) => c.message.content as string);
    expect(a).not.toBe(b);
    const one0 = (await (await chat(body)).json()) as Json;
    const one1 = (await (await chat({ ...body, seed: 12 })).json()) as Json;
    expect(one0.choices[0].message.content).toBe(a);
    expect(one1.choices[0].message.content).toBe(b);
    expect(two.usage.prompt_tokens).toBe(one0.usage.prompt_tokens);
    expect(two.usage.completion_tokens).toBe(12);

    const chunks = await events(await chat({ ...body, n: 2, stream: true }));
    const text = ['', ''];
    const roles = [0, 0];
    const finishes = [0, 0];
    for (const c of chunks) {
      const ch = c.choices[0];
      text[ch.index] += ch.delta.content ?? '';
      if (ch.delta.role === 'assistant') roles[ch.index]++;
      if (ch.finish_reason !== null) finishes[ch.index]++;
    }
    expect(text).toEqual([a, b]);
    expect(roles).toEqual([1, 1]);
    expect(finishes).toEqual([1, 1]);
    expect(allFree()).toBe(true);
  });

  test('logprobs with top_logprobs, streamed and not, the same numbers', async () => {
    const body = { messages, temperature: 0, max_tokens: 5, ignore_eos: true, logprobs: true, top_logprobs: 3 };
    const full = (await (await chat(body)).json()) as Json;
    const content = full.choices[0].logprobs.content as Json[];
    expect(content).toHaveLength(5);
    for (const e of content) {
      expect(e.logprob).toBeLessThanOrEqual(0);
      expect(e.top_logprobs).toHaveLength(3);
      expect(new TextDecoder().decode(Uint8Array.from(e.bytes))).toBe(e.token);
      // greedy: the chosen token is the most likely one
      expect(e.logprob).toBeCloseTo(e.top_logprobs[0].logprob, 5);
    }
    // the tokens' bytes make the text (a reply's first space is dropped; control tokens such as <s> are hidden)
    const bytes = content.filter((e) => !/^<.*>$/.test(e.token)).flatMap((e) => e.bytes as number[]);
    expect(new TextDecoder().decode(Uint8Array.from(bytes)).replace(/^ /, '')).toBe(full.choices[0].message.content);
    const chunks = await events(await chat({ ...body, stream: true }));
    const streamed = chunks.flatMap((c) => c.choices[0].logprobs?.content ?? []);
    expect(streamed).toEqual(content);
  });
});

describe('completions', () => {
  const prompt = 'The quick brown fox';

  test('stream equals non-stream; default max_tokens 16; text_completion shape', async () => {
    const full = (await (await completion({ prompt, temperature: 0, ignore_eos: true })).json()) as Json;
    expect(full).toMatchObject({ object: 'text_completion', model: ID, choices: [{ index: 0, logprobs: null, finish_reason: 'length' }] });
    expect(full.id).toMatch(/^cmpl-/);
    expect(full.usage.completion_tokens).toBe(16);
    const chunks = await events(await completion({ prompt, temperature: 0, ignore_eos: true, stream: true }));
    expect(chunks.every((c) => c.object === 'text_completion' && c.id === chunks[0].id)).toBe(true);
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe(full.choices[0].text);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('length');
  });

  test('echo with logprobs: prompt first, every prompt token scored, offsets into the text', async () => {
    const ids = tok.encode(prompt, { addSpecial: true });
    const r = (await (await completion({ prompt, echo: true, logprobs: 2, max_tokens: 4, temperature: 0, ignore_eos: true })).json()) as Json;
    const c = r.choices[0];
    expect(c.text.startsWith(prompt)).toBe(true);
    const lp = c.logprobs;
    expect(lp.tokens).toHaveLength(ids.length + 4);
    expect(lp.token_logprobs[0]).toBeNull();
    expect(lp.top_logprobs[0]).toBeNull();
    for (let i = 1; i < lp.tokens.length; i++) {
      expect(lp.token_logprobs[i]).toBeLessThanOrEqual(0);
      const keys = Object.keys(lp.top_logprobs[i]);
      expect(keys.length).toBeGreaterThanOrEqual(1);
      expect(keys.length).toBeLessThanOrEqual(3);
      expect(lp.top_logprobs[i][lp.tokens[i]]).toBeCloseTo(lp.token_logprobs[i], 5);
    }
    expect(lp.text_offset[0]).toBe(0);
    expect(lp.text_offset[ids.length]).toBe(prompt.length); // the first generated token starts right after the prompt
    for (let i = 1; i < lp.text_offset.length; i++) expect(lp.text_offset[i]).toBeGreaterThanOrEqual(lp.text_offset[i - 1]);
    for (let i = ids.length; i < lp.tokens.length; i++) {
      if (/\ufffd|^<.*>$/.test(lp.tokens[i])) continue; // part of a character, or a hidden control token
      expect(c.text.slice(lp.text_offset[i]).startsWith(lp.tokens[i])).toBe(true);
    }
    expect(r.usage.prompt_tokens).toBe(ids.length);
  });

  test('scoring a prompt (echo, max_tokens 0) gives the logprobs generation reported for the same tokens', async () => {
    const ids = tok.encode(prompt, { addSpecial: true });
    const gen: number[] = [];
    for await (const ev of generate(engine, { prompt: ids, params: samplingParams({ temperature: 0, max_tokens: 5, ignore_eos: true }), tokenizer: tok })) {
      if (ev.kind === 'token') gen.push(ev.token);
    }
    const generated = (await (await completion({ prompt: ids, logprobs: 0, max_tokens: 5, temperature: 0, ignore_eos: true })).json()) as Json;
    const scored = (await (await completion({ prompt: [...ids, ...gen], echo: true, logprobs: 0, max_tokens: 0 })).json()) as Json;
    expect(scored.usage.completion_tokens).toBe(0);
    expect(scored.choices[0].finish_reason).toBe('length');
    const tail = scored.choices[0].logprobs.token_logprobs.slice(ids.length) as number[];
    const want = generated.choices[0].logprobs.token_logprobs as number[];
    expect(tail).toHaveLength(5);
    for (let i = 0; i < 5; i++) expect(tail[i]).toBeCloseTo(want[i], 3);
  });

  test('several prompts and n: choice index = prompt index * n + j; streamed by index', async () => {
    const body = { prompt: ['One', 'Two two'], n: 2, max_tokens: 2, temperature: 0.8, seed: 3, ignore_eos: true };
    const full = (await (await completion(body)).json()) as Json;
    expect(full.choices.map((c: Json) => c.index)).toEqual([0, 1, 2, 3]);
    expect(full.usage.completion_tokens).toBe(8);
    expect(full.usage.prompt_tokens).toBe(tok.encode('One', { addSpecial: true }).length + tok.encode('Two two', { addSpecial: true }).length);
    const chunks = await events(await completion({ ...body, stream: true, stream_options: { include_usage: true } }));
    const usageChunk = chunks.pop()!;
    expect(usageChunk.usage).toEqual(full.usage);
    const text = ['', '', '', ''];
    for (const c of chunks) text[c.choices[0].index] += c.choices[0].text;
    expect(text).toEqual(full.choices.map((c: Json) => c.text));
  });
});

describe('errors', () => {
  const error = async (r: Response, status: number) => {
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/json');
    const body = (await r.json()) as Json;
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    return body.error as Json;
  };

  test('unknown model 404; bad fields and bad JSON 400 naming the param', async () => {
    expect(await error(await request('/v1/chat/completions', { model: 'gpt-4o', messages }), 404)).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect(await error(await chat({ messages, temperature: -1 }), 400)).toMatchObject({ param: 'temperature', type: 'invalid_request_error' });
    expect(await error(await chat({ messages, include_usage: true, stream_options: { include_usage: true } }), 400)).toMatchObject({ param: 'stream_options' });
    expect(await error(await completion({ prompt: 'x', suffix: 'y' }), 400)).toMatchObject({ param: 'suffix' });
    expect(await error(await request('/v1/chat/completions', '{"model": '), 400)).toMatchObject({ param: null });
    expect(await error(await completion({ prompt: [engine.hp.nVocab + 5] }), 400)).toMatchObject({ param: 'prompt' });
  });

  test('context_length_exceeded: prompt alone, and prompt + max_tokens', async () => {
    const long = Array.from({ length: 300 }, (_, i) => 100 + i);
    expect(await error(await completion({ prompt: long }), 400)).toMatchObject({ code: 'context_length_exceeded', param: 'prompt' });
    const e = await error(await chat({ messages, max_tokens: 250 }), 400);
    expect(e).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
    expect(e.message).toContain('256');
    expect(await error(await chat({ messages: [{ role: 'user', content: 'word '.repeat(300) }] }), 400)).toMatchObject({ code: 'context_length_exceeded' });
    expect(allFree()).toBe(true);
  });
});

describe('many requests at once', () => {
  test('16 concurrent streaming greedy chats with different prompts: each streams the text it streams alone', async () => {
    const bodies = Array.from({ length: 16 }, (_, i) => ({ messages: [{ role: 'user', content: `Request ${i}: ${'tell me more '.repeat(i % 5)}` }], temperature: 0, max_tokens: 10, ignore_eos: true, stream: true }));
    const text = async (body: Json) => (await events(await chat(body))).map((e) => e.choices[0]?.delta?.content ?? '').join('');
    const alone: string[] = [];
    for (const b of bodies) alone.push(await text(b));
    const before = engine.schedulerStats();
    const together = await Promise.all(bodies.map(text));
    expect(together).toEqual(alone);
    expect(engine.schedulerStats().maxSeqs).toBeGreaterThan(1); // they shared chunks
    expect(engine.schedulerStats().chunks - before.chunks).toBeLessThan(16 * 10);
    expect(allFree()).toBe(true);
  });
});

describe('prompt caching', () => {
  test('the second turn of a conversation prefills only its new tokens, and answers as it would without the cache', async () => {
    engine.promptCache.clear();
    const turn1 = [{ role: 'system', content: 'You are a terse assistant.' }, { role: 'user', content: 'Name a colour.' }];
    const a1 = (await (await chat({ messages: turn1, temperature: 0, max_tokens: 12, ignore_eos: true })).json()) as Json;
    expect(a1.usage.prompt_tokens_details).toEqual({ cached_tokens: 0 });
    const turn2 = [...turn1, { role: 'assistant', content: a1.choices[0].message.content }, { role: 'user', content: 'Another one.' }];
    const fed0 = engine.schedulerStats().tokens;
    const a2 = (await (await chat({ messages: turn2, temperature: 0, max_tokens: 6, ignore_eos: true })).json()) as Json;
    const fed = engine.schedulerStats().tokens - fed0;
    const cached = a2.usage.prompt_tokens_details.cached_tokens as number;
    console.log(`turn 2: ${a2.usage.prompt_tokens} prompt tokens, ${cached} cached (turn 1's prompt: ${a1.usage.prompt_tokens})`);
    // turn 1's prompt (ChatML up to "<|im_start|>assistant\n") is a prefix of turn 2's; part of the answer may match too
    expect(cached).toBeGreaterThanOrEqual(a1.usage.prompt_tokens);
    expect(cached).toBeLessThan(a2.usage.prompt_tokens);
    expect(fed).toBe(a2.usage.prompt_tokens - cached + 6 - 1); // the new prompt tokens, then each generated token but the last
    engine.promptCache.clear();
    const fresh = (await (await chat({ messages: turn2, temperature: 0, max_tokens: 6, ignore_eos: true })).json()) as Json;
    expect(fresh.usage.prompt_tokens_details).toEqual({ cached_tokens: 0 });
    expect(fresh.choices[0].message.content).toBe(a2.choices[0].message.content);
    expect(allFree()).toBe(true);
  });
});

describe('cancellation', () => {
  const streamBody = { messages, temperature: 0, max_tokens: 200, ignore_eos: true, stream: true };

  test('an abort mid-stream stops generation; the next request succeeds', async () => {
    const ac = new AbortController();
    const r = await chat(streamBody, ac.signal);
    const reader = r.body!.getReader();
    for (let i = 0; i < 3; i++) expect((await reader.read()).done).toBe(false);
    ac.abort();
    await reader.cancel().catch(() => undefined);
    const next = (await (await chat({ messages, temperature: 0, max_tokens: 4, ignore_eos: true })).json()) as Json;
    expect(next.usage.completion_tokens).toBe(4);
    expect(allFree()).toBe(true);
  });

  test('20 aborted streams (reader cancels, client signal aborts, aborted before reading) leave every KV page free', async () => {
    const before = engine.kvStats();
    expect(idle(before)).toBe(true);
    for (let i = 0; i < 20; i++) {
      const ac = new AbortController();
      const r = i % 2 === 0 ? await chat({ ...streamBody, n: 1 + (i % 3) }, ac.signal) : await completion({ prompt: `Number ${i}`, max_tokens: 200, ignore_eos: true, stream: true, n: 2 }, ac.signal);
      const reader = r.body!.getReader();
      for (let k = 0; k < i % 4; k++) await reader.read();
      if (i % 3 === 0) await reader.cancel();
      else {
        ac.abort(); // the client went away; the stream is never read again
        // freed within one decode step (a few hundred ms on a CPU adapter, seconds when the machine is busy)
        for (let t = 0; t < 1000 && !allFree(); t++) await new Promise((res) => setTimeout(res, 10));
      }
      expect(idle(engine.kvStats()), `stream ${i}`).toBe(true);
    }
  });

  test('a non-streamed request whose client aborts stops early and frees its pages', async () => {
    const ac = new AbortController();
    // the headers come once the prompt is prefilled, the body when the answer is complete
    const r = await chat({ messages, temperature: 0, max_tokens: 200, ignore_eos: true }, ac.signal);
    expect(r.status).toBe(200);
    expect(allFree()).toBe(false);
    ac.abort();
    expect(await r.text()).toBe(''); // ended at the next step, with nothing to say
    expect(allFree()).toBe(true);
  });
});

describe('a full KV cache', () => {
  test('an idle stream is preempted for a request that fits; 429 for one that cannot fit alone; an SSE error event mid-stream; every page freed after', async () => {
    // 4 pages of 16 tokens shared by all requests, while one sequence may hold 256
    const small = new ModelHost(gpu, await fileSource(makeModel(MODEL)), 'small-kv', { contextTokens: 256, kvTokens: 64 });
    await small.loaded();
    const s = small.state;
    if (s.kind !== 'ready') throw new Error('small host did not load');
    try {
      const prompt = Array.from({ length: 40 }, (_, i) => 300 + i);
      const call = (body: Json) => handle(new Request('http://localhost/v1/completions', { method: 'POST', body: JSON.stringify({ model: 'small-kv', prompt, temperature: 0, ignore_eos: true, ...body }) }), small);
      const a = await call({ max_tokens: 100, stream: true }); // holds 3 pages once its first token is out
      // b needs 3 of the 4 pages: a, idle until its stream is read, is preempted (keeping its tokens)
      const b = await call({ max_tokens: 4 });
      expect(b.status).toBe(200);
      expect(((await b.json()) as Json).usage.completion_tokens).toBe(4);
      // a prompt that cannot fit even alone (5 pages): 429 before any output
      const c = await call({ prompt: Array.from({ length: 70 }, (_, i) => 300 + i), max_tokens: 1 });
      expect(c.status).toBe(429);
      expect(c.headers.get('retry-after')).toBe('1');
      expect(((await c.json()) as Json).error).toMatchObject({ code: 'kv_cache_full', type: 'rate_limit_error' });
      // a recomputes its tokens when read on, grows into the 4th page, then needs a 5th that nothing can
      // give: the stream ends with an error event, not [DONE]
      const text = await a.text();
      expect(text).not.toContain('[DONE]');
      const last = JSON.parse(text.trim().split('\n\n').pop()!.slice('data: '.length)) as Json;
      expect(last.error).toMatchObject({ code: 'kv_cache_full' });
      expect(idle(s.engine.kvStats())).toBe(true);
      const ok = (await (await call({ max_tokens: 3 })).json()) as Json;
      expect(ok.usage.completion_tokens).toBe(3);
    } finally {
      small.unload();
    }
  });
});
