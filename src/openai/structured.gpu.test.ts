/**
 * Structured output and tool calls on generated models with random weights (their free output is noise, so
 * only the grammar makes it JSON), real vocabularies and real chat templates, through the real HTTP server and
 * the real `openai` SDK: response_format json_schema over 20 seeds validates with Ajv; tool_choice "required"
 * gives calls whose arguments validate, in each syntax (Hermes/Qwen native, Llama 3.1 JSON, Mistral
 * [TOOL_CALLS], and the Hermes prompt for a template without tools); the SDK's stream helper assembles
 * streamed calls; invalid schemas are 400s naming response_format.
 */
import { Ajv } from 'ajv';
import type { Server } from 'node:http';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { makeModel } from '../testing/models.ts';
import { LLAMA_MODELS } from '../testing/paths.ts';
import { PERSON_SCHEMA, TOOLS } from '../testing/schemas.ts';
import { ModelHost } from './host.ts';
import { startServer } from './node_server.ts';

const SHAPE = ['--arch', 'llama', '--type', 'q8_0', '--embd', '64', '--heads', '2', '--kv-heads', '1', '--ff', '128', '--ctx', '1024'];
const template = (name: string): string[] => ['--chat-template', join(LLAMA_MODELS, 'templates', name)];
const MODELS = {
  plain: { name: 'structured llama-spm', vocab: 'llama-spm', args: SHAPE }, // a template without tools
  qwen: { name: 'structured qwen2.5', vocab: 'qwen2', args: [...SHAPE, ...template('Qwen-Qwen2.5-7B-Instruct.jinja')] },
  llama3: { name: 'structured llama3.1', vocab: 'llama-bpe', args: [...SHAPE, ...template('meta-llama-Llama-3.1-8B-Instruct.jinja')] },
  mistral: { name: 'structured mistral', vocab: 'llama-spm', args: [...SHAPE, ...template('mistralai-Mistral-Nemo-Instruct-2407.jinja')] },
};
type ModelId = keyof typeof MODELS;

let gpu: Gpu;
const hosts: ModelHost[] = [];
const servers: Server[] = [];
const clients = {} as Record<ModelId, OpenAI>;
const ajv = new Ajv({ strict: false });
const tools = TOOLS as unknown as ChatCompletionTool[];
const toolSchema = (name: string): object => TOOLS.find((t) => t.function.name === name)!.function.parameters;

beforeAll(async () => {
  gpu = await openTestGpu();
  for (const [id, c] of Object.entries(MODELS)) hosts.push(new ModelHost(gpu, await fileSource(makeModel(c)), id, { contextTokens: 1024 }));
  await Promise.all(hosts.map((h) => h.loaded()));
  for (const h of hosts) {
    const { server, url } = await startServer(h, { port: 0 }); // one model per server
    servers.push(server);
    clients[h.id as ModelId] = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
  }
}, 300_000);
afterAll(() => {
  for (const s of servers) s.close();
  for (const h of hosts) h.unload();
  gpu?.device.destroy();
});

const messages = [{ role: 'user' as const, content: 'Describe a person as JSON, then check the weather.' }];

describe('response_format', () => {
  test('json_schema: 20 seeds of a random-weight model all give content that validates', { timeout: 600_000 }, async () => {
    const validate = ajv.compile(PERSON_SCHEMA);
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'person', schema: PERSON_SCHEMA, strict: true } };
    for (let seed = 1; seed <= 20; seed++) {
      const r = await clients.plain.chat.completions.create({ model: 'plain', messages, response_format, seed, temperature: 1, max_tokens: 400 });
      const text = r.choices[0].message.content!;
      expect(r.choices[0].finish_reason, text).toBe('stop');
      const value: unknown = JSON.parse(text);
      expect(validate(value), `${text}\n${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  test('json_schema with a byte-level vocabulary (Qwen2); streamed content equals the non-streamed', { timeout: 300_000 }, async () => {
    const validate = ajv.compile(PERSON_SCHEMA);
    const body = { model: 'qwen', messages, response_format: { type: 'json_schema' as const, json_schema: { name: 'person', schema: PERSON_SCHEMA, strict: true } }, temperature: 1, max_tokens: 400 };
    for (let seed = 1; seed <= 2; seed++) {
      const r = await clients.qwen.chat.completions.create({ ...body, seed });
      const text = r.choices[0].message.content!;
      expect(validate(JSON.parse(text)), text).toBe(true);
      const stream = await clients.qwen.chat.completions.create({ ...body, seed, stream: true });
      let streamed = '';
      for await (const c of stream) streamed += c.choices[0]?.delta.content ?? '';
      expect(streamed).toBe(text);
    }
  });

  test('json_object gives an object (or a prefix of one when max_tokens cuts it)', { timeout: 120_000 }, async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const r = await clients.plain.chat.completions.create({ model: 'plain', messages, response_format: { type: 'json_object' }, seed, temperature: 1, max_tokens: 30 });
      const { content } = r.choices[0].message;
      expect(content!.startsWith('{')).toBe(true);
      if (r.choices[0].finish_reason === 'stop') expect(JSON.parse(content!)).toBeTypeOf('object');
    }
  });

  test('an invalid schema is a 400 naming response_format; the server goes on', async () => {
    for (const schema of [{ type: 'objekt' }, { type: 'object', properties: { a: { type: 'string', pattern: '^x' } } }]) {
      const e = await clients.plain.chat.completions.create({ model: 'plain', messages, response_format: { type: 'json_schema', json_schema: { name: 'bad', schema } } }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(OpenAI.BadRequestError);
      expect((e as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('response_format');
      expect((e as Error).message).toMatch(/response_format\.json_schema\.schema/);
    }
    const ok = await clients.plain.chat.completions.create({ model: 'plain', messages, max_tokens: 2 });
    expect(ok.choices[0].message.role).toBe('assistant');
  });
});

describe('tool calls', () => {
  const check = (calls: OpenAI.Chat.Completions.ChatCompletionMessageToolCall[] | undefined, names: readonly string[]) => {
    expect(calls?.length).toBeGreaterThan(0);
    for (const c of calls!) {
      if (c.type !== 'function') throw new Error(`call of type ${c.type}`);
      expect(c.id).toMatch(/^call_/);
      expect(names).toContain(c.function.name);
      const validate = ajv.compile(toolSchema(c.function.name));
      expect(validate(JSON.parse(c.function.arguments)), c.function.arguments).toBe(true);
    }
  };

  for (const model of Object.keys(MODELS) as ModelId[]) {
    test(`${model}: tool_choice required gives calls whose arguments validate; finish_reason tool_calls`, { timeout: 300_000 }, async () => {
      for (let seed = 1; seed <= 2; seed++) {
        const r = await clients[model].chat.completions.create({ model, messages, tools, tool_choice: 'required', seed, temperature: 1, max_tokens: 300, parallel_tool_calls: seed % 2 === 0 });
        const choice = r.choices[0];
        expect(choice.finish_reason).toBe('tool_calls');
        expect(choice.message.content).toBeNull();
        check(choice.message.tool_calls, ['get_weather', 'get_time']);
        if (seed % 2 === 1) expect(choice.message.tool_calls).toHaveLength(1); // parallel_tool_calls false
      }
    });
  }

  test('a named function is the one called; the SDK stream helper assembles streamed calls', { timeout: 300_000 }, async () => {
    for (const model of ['qwen', 'plain'] as const) {
      const body = { model, messages, tools, tool_choice: { type: 'function' as const, function: { name: 'get_weather' } }, seed: 7, temperature: 1, max_tokens: 300 };
      const plain = await clients[model].chat.completions.create(body);
      check(plain.choices[0].message.tool_calls, ['get_weather']);
      const stream = clients[model].chat.completions.stream(body); // throws on a call delta without id, type or name
      const deltas: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta[] = [];
      stream.on('chunk', (c) => c.choices[0] && deltas.push(c.choices[0].delta));
      const done = await stream.finalChatCompletion();
      expect(done.choices[0].finish_reason).toBe('tool_calls');
      // the helper adds parsed_arguments; ids are fresh per response
      const wire = (calls: OpenAI.Chat.Completions.ChatCompletionMessageToolCall[] | undefined) =>
        calls?.map((c) => c.type === 'function' && { type: c.type, name: c.function.name, arguments: c.function.arguments });
      expect(wire(done.choices[0].message.tool_calls)).toEqual(wire(plain.choices[0].message.tool_calls));
      const argDeltas = deltas.filter((d) => d.tool_calls?.[0]?.function?.arguments);
      expect(argDeltas.length).toBeGreaterThan(1); // arguments arrive in fragments, not at once
      const first = deltas.find((d) => d.tool_calls)!.tool_calls![0];
      expect(first).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather' } });
      expect(first.id).toMatch(/^call_/);
    }
  });

  test('calls and results round-trip into the next turn; tool_choice none answers in text', { timeout: 120_000 }, async () => {
    for (const model of ['qwen', 'plain', 'llama3'] as const) {
      const first = await clients[model].chat.completions.create({ model, messages, tools, tool_choice: 'required', seed: 3, temperature: 1, max_tokens: 300 });
      const call = first.choices[0].message.tool_calls![0];
      const next = await clients[model].chat.completions.create({
        model,
        messages: [...messages, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"temp": 21}' }],
        tools,
        tool_choice: 'none',
        max_tokens: 4,
      });
      expect(next.choices[0].message.tool_calls).toBeUndefined();
      // with `none` the tool list is left out; the call and its result are in: more than the question alone
      const alone = await clients[model].chat.completions.create({ model, messages, tools, tool_choice: 'none', max_tokens: 1 });
      expect(next.usage!.prompt_tokens).toBeGreaterThan(alone.usage!.prompt_tokens + 10);
    }
  });
});
