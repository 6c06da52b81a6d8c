/** Request validation without a model: every field's good values pass, bad ones are a 400 naming the field. */
import { describe, expect, test } from 'vitest';
import { parseChatRequest, readChatRequest } from './chat_request.ts';
import { COMPLETIONS_DEFAULT_MAX_TOKENS, parseCompletionRequest, readCompletionRequest } from './completion_request.ts';
import { ApiError } from './errors.ts';
import { MAX_N, parseJsonBody } from './request.ts';

const ctx = { modelId: 'tiny', nVocab: 1000 };
const chat = (extra: Record<string, unknown> = {}) => ({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], ...extra });
const cmpl = (extra: Record<string, unknown> = {}) => ({ model: 'tiny', prompt: 'Once', ...extra });

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw new Error(`expected an ApiError, got ${String(e)}`);
  }
  throw new Error('expected an ApiError, got a value');
}

describe('JSON body', () => {
  test.each(['', '{', '{"a":}', 'nul', "{'a':1}", '[1,', '\u0000'])('invalid JSON %j is a 400 with param null', (text) => {
    const e = apiError(() => parseJsonBody(text));
    expect(e).toMatchObject({ status: 400, type: 'invalid_request_error', param: null });
    expect(e.message).toMatch(/JSON/);
  });
  test.each(['[]', '1', '"x"', 'null', 'true'])('non-object body %s is a 400', (text) => {
    expect(apiError(() => parseJsonBody(text))).toMatchObject({ status: 400, param: null });
  });
});

describe('shared fields (both routes)', () => {
  const routes = [
    ['chat', (b: Record<string, unknown>) => parseChatRequest(chat(b), ctx)],
    ['completions', (b: Record<string, unknown>) => parseCompletionRequest(cmpl(b), ctx)],
  ] as const;

  describe.each(routes)('%s', (_name, parse) => {
    test('model: missing or wrong type is 400, unknown is 404 model_not_found', () => {
      expect(apiError(() => parse({ model: undefined }))).toMatchObject({ status: 400, param: 'model' });
      expect(apiError(() => parse({ model: 7 }))).toMatchObject({ status: 400, param: 'model' });
      expect(apiError(() => parse({ model: 'gpt-4o' }))).toMatchObject({ status: 404, param: 'model', code: 'model_not_found' });
    });

    test('stream and stream_options.include_usage', () => {
      expect(parse({ stream: true, stream_options: { include_usage: true } })).toMatchObject({ stream: true, includeUsage: true });
      expect(parse({ stream: null, stream_options: null })).toMatchObject({ stream: false, includeUsage: false });
      expect(parse({ stream: true, stream_options: { include_usage: false } })).toMatchObject({ includeUsage: false });
      expect(apiError(() => parse({ stream: 'yes' }))).toMatchObject({ status: 400, param: 'stream' });
      expect(apiError(() => parse({ stream_options: { include_usage: true } }))).toMatchObject({ status: 400, param: 'stream_options' });
      expect(apiError(() => parse({ stream: false, stream_options: { include_usage: true } }))).toMatchObject({ status: 400, param: 'stream_options' });
      expect(apiError(() => parse({ stream: true, stream_options: 1 }))).toMatchObject({ status: 400, param: 'stream_options' });
      expect(apiError(() => parse({ stream: true, stream_options: { include_usage: 'y' } }))).toMatchObject({ status: 400, param: 'stream_options.include_usage' });
    });

    test('n', () => {
      expect(parse({}).n).toBe(1);
      expect(parse({ n: 3 }).n).toBe(3);
      for (const n of [0, -1, 1.5, MAX_N + 1, '2', 1e300]) expect(apiError(() => parse({ n }))).toMatchObject({ status: 400, param: 'n' });
    });

    test('user must be a string', () => {
      expect(apiError(() => parse({ user: 5 }))).toMatchObject({ status: 400, param: 'user' });
    });

    test('every sampling field is read, with its own param name on errors', () => {
      const r = parse({
        temperature: 0.5, top_p: 0.9, top_k: 40, min_p: 0.05, frequency_penalty: 0.5, presence_penalty: -0.5, repetition_penalty: 1.1,
        penalty_last_n: 32, logit_bias: { 5: 2 }, seed: 7, stop: ['a', 'b'], stop_token_ids: [3], min_tokens: 2, ignore_eos: true, max_tokens: 20,
      });
      expect(r.sampling).toMatchObject({
        temperature: 0.5, top_p: 0.9, top_k: 40, min_p: 0.05, frequency_penalty: 0.5, presence_penalty: -0.5, repetition_penalty: 1.1,
        penalty_last_n: 32, logit_bias: { 5: 2 }, seed: 7, stop: ['a', 'b'], stop_token_ids: [3], min_tokens: 2, ignore_eos: true, max_tokens: 20,
      });
      expect(parse({ max_completion_tokens: 9, max_tokens: 3 }).sampling.max_tokens).toBe(9);
      const bad: [string, unknown][] = [
        ['temperature', -1], ['temperature', 'hot'], ['top_p', 0], ['top_p', 1.5], ['top_k', -2], ['top_k', 2.5], ['min_p', 2],
        ['frequency_penalty', 3], ['presence_penalty', -3], ['repetition_penalty', 0], ['penalty_last_n', -2], ['logit_bias', [1]],
        ['logit_bias', { x: 1 }], ['logit_bias', { 5000: 1 }], ['logit_bias', { 5: 101 }], ['seed', 1.5], ['seed', 2 ** 60], ['stop', 5],
        ['stop', [1]], ['stop_token_ids', [1000]], ['stop_token_ids', 'x'], ['min_tokens', -1], ['ignore_eos', 1], ['max_tokens', 0],
        ['max_tokens', -5], ['max_tokens', 'ten'], ['max_completion_tokens', 1.5],
      ];
      for (const [param, value] of bad) expect(apiError(() => parse({ [param]: value })), `${param}: ${JSON.stringify(value)}`).toMatchObject({ status: 400, param, type: 'invalid_request_error' });
      expect(apiError(() => parse({ min_tokens: 5, max_tokens: 2 }))).toMatchObject({ param: 'min_tokens' });
    });
  });
});

describe('chat', () => {
  test('messages: every role, string or text-part content, names, tool calls', () => {
    const r = parseChatRequest(chat({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'developer', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'user', content: 'hi', name: 'ann' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', content: '42', tool_call_id: 'c1' },
        { role: 'assistant', content: 'done' },
      ],
    }), ctx);
    expect(r.messages).toHaveLength(6);
    expect(r.messages[1].content).toEqual([{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }]);
    expect(r.messages[2].name).toBe('ann');
    expect(r.messages[3].tool_calls?.[0].function.name).toBe('f');
    expect(r.messages[4].tool_call_id).toBe('c1');
  });

  test('bad messages name the message and field', () => {
    const bad: [unknown, string][] = [
      [undefined, 'messages'], ['hi', 'messages'], [[], 'messages'], [[5], 'messages[0]'],
      [[{ role: 'robot', content: 'x' }], 'messages[0].role'], [[{ content: 'x' }], 'messages[0].role'],
      [[{ role: 'user' }], 'messages[0].content'], [[{ role: 'user', content: 5 }], 'messages[0].content'],
      [[{ role: 'user', content: 'a' }, { role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }], 'messages[1].content[0].type'],
      [[{ role: 'user', content: [{ type: 'text' }] }], 'messages[0].content[0].text'], [[{ role: 'user', content: ['x'] }], 'messages[0].content[0]'],
      [[{ role: 'user', content: 'x', name: 3 }], 'messages[0].name'],
      [[{ role: 'assistant', content: null, tool_calls: 'x' }], 'messages[0].tool_calls'],
      [[{ role: 'assistant', content: null, tool_calls: [{ id: 'c', function: { name: 'f', arguments: {} } }] }], 'messages[0].tool_calls[0].function.arguments'],
      [[{ role: 'tool', content: 'x', tool_call_id: 1 }], 'messages[0].tool_call_id'],
    ];
    for (const [messages, param] of bad) expect(apiError(() => parseChatRequest(chat({ messages }), ctx)), param).toMatchObject({ status: 400, param });
  });

  test('logprobs: boolean with top_logprobs 0..20', () => {
    expect(parseChatRequest(chat({ logprobs: true, top_logprobs: 5 }), ctx).sampling).toMatchObject({ logprobs: true, top_logprobs: 5 });
    expect(apiError(() => parseChatRequest(chat({ logprobs: 2 }), ctx))).toMatchObject({ param: 'logprobs' });
    expect(apiError(() => parseChatRequest(chat({ logprobs: true, top_logprobs: 21 }), ctx))).toMatchObject({ param: 'top_logprobs' });
    expect(apiError(() => parseChatRequest(chat({ top_logprobs: 2 }), ctx))).toMatchObject({ param: 'top_logprobs' });
  });

  test('tools, tool_choice and parallel_tool_calls', () => {
    const tools = [{ type: 'function', function: { name: 'get', description: 'd', parameters: { type: 'object' } } }];
    const auto = parseChatRequest(chat({ tools, parallel_tool_calls: false }), ctx);
    expect(auto).toMatchObject({ tools, toolChoice: 'auto', parallelToolCalls: false });
    expect(parseChatRequest(chat({ tools, tool_choice: 'required' }), ctx)).toMatchObject({ toolChoice: 'required', parallelToolCalls: true });
    expect(parseChatRequest(chat({ tools, tool_choice: { type: 'function', function: { name: 'get' } } }), ctx).toolChoice).toEqual({ name: 'get' });
    const none = parseChatRequest(chat({ tools: [] }), ctx);
    expect([none.tools, none.toolChoice]).toEqual([undefined, 'none']);
    expect(apiError(() => parseChatRequest(chat({ tools: {} }), ctx))).toMatchObject({ param: 'tools' });
    expect(apiError(() => parseChatRequest(chat({ tools: [{ type: 'function', function: {} }] }), ctx))).toMatchObject({ param: 'tools[0].function.name' });
    expect(apiError(() => parseChatRequest(chat({ tools: [{ type: 'x' }] }), ctx))).toMatchObject({ param: 'tools[0].type' });
    expect(apiError(() => parseChatRequest(chat({ tool_choice: 'required' }), ctx))).toMatchObject({ param: 'tool_choice' });
    expect(apiError(() => parseChatRequest(chat({ tools, tool_choice: { type: 'function', function: { name: 'nope' } } }), ctx))).toMatchObject({ param: 'tool_choice', message: expect.stringMatching(/'nope'/) });
    expect(apiError(() => parseChatRequest(chat({ tool_choice: 3 }), ctx))).toMatchObject({ param: 'tool_choice' });
    expect(apiError(() => parseChatRequest(chat({ parallel_tool_calls: 'y' }), ctx))).toMatchObject({ param: 'parallel_tool_calls' });
    // a parameters schema that is not JSON Schema is refused always; one that cannot be enforced, when calls are forced
    const bad = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 7 } } } } }];
    expect(apiError(() => parseChatRequest(chat({ tools: bad }), ctx))).toMatchObject({ param: 'tools[0].function.parameters' });
    const patterned = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string', pattern: 'x' } } } } }];
    expect(parseChatRequest(chat({ tools: patterned }), ctx).toolChoice).toBe('auto');
    expect(apiError(() => parseChatRequest(chat({ tools: patterned, tool_choice: 'required' }), ctx))).toMatchObject({
      param: 'tools[0].function.parameters',
      message: expect.stringMatching(/properties\.a\.pattern/),
    });
  });

  test('response_format: text, json_object, json_schema (strict); invalid schemas are a 400 naming response_format', () => {
    expect(parseChatRequest(chat({ response_format: { type: 'text' } }), ctx).format).toBeUndefined();
    expect(parseChatRequest(chat({ response_format: { type: 'json_object' } }), ctx).format).toEqual({ kind: 'json_object' });
    const schema = { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'], additionalProperties: false };
    expect(parseChatRequest(chat({ response_format: { type: 'json_schema', json_schema: { name: 'a_b-1', schema, strict: true } } }), ctx).format).toEqual({ kind: 'json_schema', schema, strict: true });
    for (const js of [
      { name: 'x', schema: { type: 'objekt' } }, // not JSON Schema (ajv's meta-schema)
      { name: 'x', schema: { type: 'object', required: 'a' } },
      { name: 'x', schema: { type: 'object', properties: { a: { not: { type: 'string' } } } } }, // valid, not enforceable
      { name: 'x', schema: [] },
      { name: 'has space', schema },
      { schema },
    ]) {
      expect(apiError(() => parseChatRequest(chat({ response_format: { type: 'json_schema', json_schema: js } }), ctx)), JSON.stringify(js)).toMatchObject({ status: 400, param: 'response_format' });
    }
    expect(apiError(() => parseChatRequest(chat({ response_format: { type: 'xml' } }), ctx))).toMatchObject({ param: 'response_format.type' });
    expect(apiError(() => parseChatRequest(chat({ response_format: 'json' }), ctx))).toMatchObject({ param: 'response_format' });
  });

  test('chat_template_kwargs become template variables', () => {
    expect(parseChatRequest(chat({ chat_template_kwargs: { enable_thinking: false } }), ctx).templateVars).toEqual({ enable_thinking: false });
    expect(apiError(() => parseChatRequest(chat({ chat_template_kwargs: [] }), ctx))).toMatchObject({ param: 'chat_template_kwargs' });
  });

  test('unknown fields are ignored; readChatRequest parses text', () => {
    expect(readChatRequest(JSON.stringify(chat({ frobnicate: 1, metadata: { a: 1 } })), ctx).model).toBe('tiny');
  });
});

describe('completions', () => {
  test('prompt forms', () => {
    expect(parseCompletionRequest(cmpl(), ctx).prompts).toEqual([{ kind: 'text', text: 'Once' }]);
    expect(parseCompletionRequest(cmpl({ prompt: ['a', 'b'] }), ctx).prompts).toEqual([{ kind: 'text', text: 'a' }, { kind: 'text', text: 'b' }]);
    expect(parseCompletionRequest(cmpl({ prompt: [1, 2, 3] }), ctx).prompts).toEqual([{ kind: 'ids', ids: [1, 2, 3] }]);
    expect(parseCompletionRequest(cmpl({ prompt: [[1], [2, 3]] }), ctx).prompts).toEqual([{ kind: 'ids', ids: [1] }, { kind: 'ids', ids: [2, 3] }]);
    for (const prompt of [undefined, 5, {}, [], [[]], [1, 'a'], ['a', [1]], [1.5], [-1], [1000], [[1, 1000]], Array(65).fill('x')]) {
      expect(apiError(() => parseCompletionRequest(cmpl({ prompt }), ctx)), JSON.stringify(prompt)).toMatchObject({ status: 400, param: 'prompt' });
    }
  });

  test('legacy logprobs integer, echo, max_tokens 0 with echo only, default max_tokens left to the route', () => {
    expect(parseCompletionRequest(cmpl({ logprobs: 3 }), ctx).sampling).toMatchObject({ logprobs: true, top_logprobs: 3 });
    expect(parseCompletionRequest(cmpl({ logprobs: 0 }), ctx).sampling).toMatchObject({ logprobs: true, top_logprobs: 0 });
    expect(parseCompletionRequest(cmpl(), ctx).sampling).toMatchObject({ logprobs: false, max_tokens: undefined });
    expect(COMPLETIONS_DEFAULT_MAX_TOKENS).toBe(16);
    for (const logprobs of [true, 21, -1, 1.5]) expect(apiError(() => parseCompletionRequest(cmpl({ logprobs }), ctx))).toMatchObject({ param: 'logprobs' });
    expect(parseCompletionRequest(cmpl({ echo: true, max_tokens: 0 }), ctx)).toMatchObject({ echo: true, echoOnly: true });
    expect(parseCompletionRequest(cmpl({ echo: true, max_tokens: 5 }), ctx)).toMatchObject({ echo: true, echoOnly: false });
    expect(apiError(() => parseCompletionRequest(cmpl({ max_tokens: 0 }), ctx))).toMatchObject({ param: 'max_tokens' });
    expect(apiError(() => parseCompletionRequest(cmpl({ echo: 'yes' }), ctx))).toMatchObject({ param: 'echo' });
  });

  test('suffix is unsupported; best_of only equal to n; prompts x n is bounded', () => {
    expect(apiError(() => parseCompletionRequest(cmpl({ suffix: 'end' }), ctx))).toMatchObject({ status: 400, param: 'suffix' });
    expect(apiError(() => parseCompletionRequest(cmpl({ suffix: 3 }), ctx))).toMatchObject({ param: 'suffix' });
    expect(parseCompletionRequest(cmpl({ suffix: '' }), ctx).kind).toBe('completion');
    expect(parseCompletionRequest(cmpl({ suffix: null, best_of: 2, n: 2 }), ctx).n).toBe(2);
    expect(apiError(() => parseCompletionRequest(cmpl({ best_of: 3 }), ctx))).toMatchObject({ param: 'best_of' });
    expect(apiError(() => parseCompletionRequest(cmpl({ prompt: Array(8).fill('x'), n: 16 }), ctx))).toMatchObject({ param: 'n' });
  });

  test('chat logprobs form is a 400 on completions (top_logprobs is not read)', () => {
    expect(apiError(() => readCompletionRequest(JSON.stringify(cmpl({ logprobs: true })), ctx))).toMatchObject({ param: 'logprobs' });
  });
});
