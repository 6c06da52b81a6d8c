/** The wire pieces without a model: SSE framing, response builders, error mapping, the SSE stream plumbing. */
import { describe, expect, test } from 'vitest';
import { EngineError } from '../engine/errors.ts';
import { samplingParams, SamplingParamError } from '../sampling/params.ts';
import { TemplateError } from '../template/errors.ts';
import { ApiError, toApiError } from './errors.ts';
import {
  chatChunk,
  chatChunkChoice,
  chatCompletion,
  chatLogprobs,
  chatTokenLogprob,
  codePoints,
  emptyLegacyLogprobs,
  modelList,
  modelObject,
  newResponseId,
  pushLegacyLogprob,
  textCompletion,
  unixSeconds,
  usage,
} from './responses.ts';
import { choiceParams } from './run.ts';
import { SSE_DONE, sseComment, sseError, sseEvent } from './sse.ts';
import { sseResponse } from './stream.ts';

// Token i is the bytes of TEXT[i]: 3 and 4 are the two halves of "é" (0xC3 0xA9).
const TEXT = ['a', ' b', '__proto__', '', ''];
const tokens = {
  tokenBytes: (id: number): Uint8Array => (id === 3 ? Uint8Array.of(0xc3) : id === 4 ? Uint8Array.of(0xa9) : new TextEncoder().encode(TEXT[id])),
};
const meta = { id: 'chatcmpl-x', created: 1700000000, model: 'tiny' };

describe('SSE framing', () => {
  test('events, [DONE], errors, comments', () => {
    expect(sseEvent({ a: 'x\ny' })).toBe('data: {"a":"x\\ny"}\n\n');
    expect(SSE_DONE).toBe('data: [DONE]\n\n');
    const e = new ApiError(429, 'busy', 'rate_limit_error', null, 'kv_cache_full');
    expect(sseError(e)).toBe('data: {"error":{"message":"busy","type":"rate_limit_error","param":null,"code":"kv_cache_full"}}\n\n');
    expect(sseComment('keep\nalive')).toBe(': keep alive\n\n');
  });
});

describe('response builders', () => {
  test('ids, seconds, usage, models', () => {
    expect(newResponseId('chatcmpl')).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(newResponseId('cmpl')).not.toBe(newResponseId('cmpl'));
    expect(unixSeconds(1700000000999)).toBe(1700000000);
    expect(usage({ promptTokens: 3, completionTokens: 4, cachedTokens: 2 })).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 2 } });
    expect(modelList([modelObject('m', 5)])).toEqual({ object: 'list', data: [{ id: 'm', object: 'model', created: 5, owned_by: 'tabserve' }] });
  });

  test('chat.completion and chunks', () => {
    const lp = chatLogprobs([chatTokenLogprob(tokens, 1, -0.5, [{ token: 1, logprob: -0.5 }, { token: 3, logprob: -1 }])]);
    expect(lp.content![0]).toEqual({ token: ' b', logprob: -0.5, bytes: [32, 98], top_logprobs: [{ token: ' b', logprob: -0.5, bytes: [32, 98] }, { token: '\ufffd', logprob: -1, bytes: [0xc3] }] });
    const c = chatCompletion(meta, [{ index: 0, text: 'hi', finishReason: 'stop', logprobs: null }], usage({ promptTokens: 1, completionTokens: 2, cachedTokens: 0 }));
    expect(c).toEqual({
      id: 'chatcmpl-x', object: 'chat.completion', created: 1700000000, model: 'tiny',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, prompt_tokens_details: { cached_tokens: 0 } },
    });
    const role = chatChunk(meta, [chatChunkChoice(0, { role: 'assistant', content: '' })]);
    expect(role).toEqual({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1700000000, model: 'tiny', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    expect('usage' in role).toBe(false);
    expect(chatChunk(meta, [], null).usage).toBeNull();
    expect(chatChunk(meta, [], usage({ promptTokens: 1, completionTokens: 1, cachedTokens: 0 })).choices).toEqual([]);
  });

  test('legacy logprobs: the chosen token joins the top map; same-text tokens share a key; no prototype keys', () => {
    const lp = emptyLegacyLogprobs();
    pushLegacyLogprob(lp, tokens, 0, null, null, 0); // an echoed prompt's first token
    pushLegacyLogprob(lp, tokens, 2, -0.25, [{ token: 1, logprob: -0.1 }], 1);
    pushLegacyLogprob(lp, tokens, 3, -2, [{ token: 4, logprob: -1.5 }], 10); // "\ufffd" twice: the likelier stays
    expect(lp.tokens).toEqual(['a', '__proto__', '\ufffd']);
    expect(lp.token_logprobs).toEqual([null, -0.25, -2]);
    expect(lp.text_offset).toEqual([0, 1, 10]);
    expect(lp.top_logprobs[0]).toBeNull();
    expect(JSON.stringify(lp.top_logprobs[1])).toBe('{" b":-0.1,"__proto__":-0.25}');
    expect(JSON.parse(JSON.stringify(lp.top_logprobs[2]))).toEqual({ '\ufffd': -1.5 });
    const t = textCompletion({ ...meta, id: 'cmpl-x' }, [{ index: 0, text: 'a', logprobs: lp, finish_reason: 'length' }], usage({ promptTokens: 1, completionTokens: 1, cachedTokens: 0 }));
    expect(t).toMatchObject({ id: 'cmpl-x', object: 'text_completion', choices: [{ index: 0, text: 'a', finish_reason: 'length' }] });
  });

  test('text offsets count code points', () => {
    expect(codePoints('abc')).toBe(3);
    expect(codePoints('a😀b')).toBe(3);
    expect(codePoints('é')).toBe(1);
  });

  test('choice seeds: seed + index, staying safe', () => {
    const p = samplingParams({ seed: 10 });
    expect(choiceParams(p, 0)).toBe(p);
    expect(choiceParams(p, 3).seed).toBe(13);
    expect(choiceParams(samplingParams({ seed: Number.MAX_SAFE_INTEGER }), 2).seed).toBe(Number.MAX_SAFE_INTEGER - 2);
    expect(choiceParams(samplingParams(), 2).seed).toBeUndefined();
  });
});

describe('error mapping', () => {
  test('each failure kind gets its status, param, code and retry headers', () => {
    expect(toApiError(new SamplingParamError('top_p', 'bad'))).toMatchObject({ status: 400, param: 'top_p', type: 'invalid_request_error' });
    const kv = toApiError(new EngineError('kv-full', 'KV cache full'));
    expect(kv).toMatchObject({ status: 429, code: 'kv_cache_full' });
    expect(kv.headers['retry-after']).toBe('1');
    expect(toApiError(new EngineError('context-full', 'x'), 'messages')).toMatchObject({ status: 400, param: 'messages', code: 'context_length_exceeded' });
    for (const code of ['device-lost', 'gpu', 'unloaded', 'too-large'] as const) {
      const e = toApiError(new EngineError(code, 'x'));
      expect(e.status).toBe(500);
      expect(e.headers['x-should-retry']).toBe('false');
    }
    const t = toApiError(new TemplateError('raise', 'roles must alternate', 2));
    expect(t).toMatchObject({ status: 400, param: 'messages[2]' });
    expect(t.message).toContain('messages[2]');
    expect(toApiError(new TemplateError('syntax', 'bad')).headers['x-should-retry']).toBe('false');
    expect(toApiError(new Error('boom'))).toMatchObject({ status: 500, type: 'server_error' });
    expect(toApiError('weird')).toMatchObject({ status: 500 });
  });

  test('toResponse: JSON body, status and headers', async () => {
    const r = new ApiError(503, 'loading', 'server_error', null, 'model_loading', { 'retry-after': '5' }).toResponse();
    expect(r.status).toBe(503);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('retry-after')).toBe('5');
    expect(await r.json()).toEqual({ error: { message: 'loading', type: 'server_error', param: null, code: 'model_loading' } });
  });
});

describe('SSE response plumbing', () => {
  /** A generator of `count` events that records whether its finally ran; throws `fail` at event `failAt`. */
  function source(count: number, o: { failAt?: number; fail?: Error } = {}) {
    const state = { finished: false, produced: 0 };
    async function* gen(): AsyncGenerator<string> {
      try {
        for (let i = 0; i < count; i++) {
          if (i === o.failAt) throw o.fail ?? new Error('boom');
          await new Promise((r) => setTimeout(r, 1));
          state.produced++;
          yield sseEvent({ i });
        }
        yield SSE_DONE;
      } finally {
        state.finished = true;
      }
    }
    return { gen: gen(), state };
  }
  const opts = (signal = new AbortController().signal) => ({ abort: new AbortController(), request: new Request('http://x/', { signal }), promptParam: 'messages' });

  test('streams every event with SSE headers', async () => {
    const { gen } = source(3);
    const r = await sseResponse(gen, opts());
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await r.text()).toBe(sseEvent({ i: 0 }) + sseEvent({ i: 1 }) + sseEvent({ i: 2 }) + SSE_DONE);
  });

  test('a failure before the first event rejects (the caller answers with an HTTP status)', async () => {
    const { gen, state } = source(3, { failAt: 0, fail: new EngineError('kv-full', 'full') });
    await expect(sseResponse(gen, opts())).rejects.toMatchObject({ code: 'kv-full' });
    expect(state.finished).toBe(true);
  });

  test('a failure mid-stream becomes one error event and the stream ends', async () => {
    const { gen } = source(3, { failAt: 2, fail: new EngineError('kv-full', 'full') });
    const text = await (await sseResponse(gen, opts())).text();
    expect(text.startsWith(sseEvent({ i: 0 }) + sseEvent({ i: 1 }))).toBe(true);
    const last = JSON.parse(text.trim().split('\n\n').pop()!.slice('data: '.length));
    expect(last.error).toMatchObject({ code: 'kv_cache_full', type: 'rate_limit_error' });
    expect(text).not.toContain('[DONE]');
  });

  test('the reader cancelling aborts and ends the generator', async () => {
    const { gen, state } = source(1000);
    const o = opts();
    const reader = (await sseResponse(gen, o)).body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 20));
    expect(o.abort.signal.aborted).toBe(true);
    expect(state.finished).toBe(true);
    expect(state.produced).toBeLessThan(10);
  });

  test('the request signal aborting ends the generator even when nobody reads', async () => {
    const { gen, state } = source(1000);
    const client = new AbortController();
    const o = opts(client.signal);
    await sseResponse(gen, o);
    client.abort();
    await new Promise((r) => setTimeout(r, 20));
    expect(o.abort.signal.aborted).toBe(true);
    expect(state.finished).toBe(true);
  });
});
