// Structured output and tool calls in a tab: the real `openai` SDK in the page asks the Service Worker for
// response_format json_schema and for tool_choice "required"; the grammar engine (xgrammar's wasm, bundled by
// Vite) runs in the inference Worker. The model has random weights, so only the grammar makes its output
// JSON; answers are validated here, in Node, with Ajv.
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { Ajv } from 'ajv';
import { PERSON_SCHEMA, TOOLS } from '../src/testing/schemas.ts';
import { E2E_MODEL } from './global_setup.ts';

test.describe.configure({ mode: 'serial' });

const MODEL = E2E_MODEL;
const MESSAGES = [{ role: 'user' as const, content: 'Describe a person as JSON, then check the weather.' }];
const ajv = new Ajv({ strict: false });

let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

test.beforeAll(async ({ browser }) => {
  context = await browser.newContext();
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`/e2e/fixtures/openai.html?model=/models/${MODEL}.gguf`);
  await page.evaluate(() => window.tabserve.ready.then(() => undefined));
});

test.afterAll(async () => {
  expect(pageErrors).toEqual([]);
  await context.close();
});

test('response_format json_schema: every seed gives content that validates; streamed equals non-streamed', async () => {
  const validate = ajv.compile(PERSON_SCHEMA);
  const results = await page.evaluate(
    async ([model, messages, schema]) => {
      const out = [];
      const response_format = { type: 'json_schema' as const, json_schema: { name: 'person', schema, strict: true } };
      for (const seed of [1, 2, 3]) {
        const body = { model, messages, response_format, seed, temperature: 1, max_tokens: 300 };
        const r = await window.tabserve.client.chat.completions.create(body);
        let streamed = '';
        for await (const c of await window.tabserve.client.chat.completions.create({ ...body, stream: true })) streamed += c.choices[0]?.delta.content ?? '';
        out.push({ content: r.choices[0].message.content ?? '', finish: r.choices[0].finish_reason, streamed });
      }
      return out;
    },
    [MODEL, MESSAGES, PERSON_SCHEMA as unknown as Record<string, unknown>] as const,
  );
  for (const r of results) {
    expect(r.finish, r.content).toBe('stop');
    expect(validate(JSON.parse(r.content)), `${r.content} ${JSON.stringify(validate.errors)}`).toBe(true);
    expect(r.streamed).toBe(r.content);
  }
});

test('tool_choice required: the SDK stream helper assembles calls whose arguments validate', async () => {
  const r = await page.evaluate(
    async ([model, messages, tools]) => {
      const stream = window.tabserve.client.chat.completions.stream({ model, messages, tools: tools as never, tool_choice: 'required', seed: 5, temperature: 1, max_tokens: 300, parallel_tool_calls: false });
      let fragments = 0;
      stream.on('chunk', (c) => (fragments += c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ? 1 : 0));
      const done = await stream.finalChatCompletion();
      return { choice: done.choices[0], fragments };
    },
    [MODEL, MESSAGES, TOOLS as unknown as object[]] as const,
  );
  expect(r.choice.finish_reason).toBe('tool_calls');
  const calls = r.choice.message.tool_calls ?? [];
  expect(calls).toHaveLength(1);
  for (const c of calls) {
    if (c.type !== 'function') throw new Error(`call of type ${c.type}`);
    const tool = TOOLS.find((t) => t.function.name === c.function.name);
    expect(tool, c.function.name).toBeDefined();
    const validate = ajv.compile(tool!.function.parameters);
    expect(validate(JSON.parse(c.function.arguments)), c.function.arguments).toBe(true);
  }
  expect(r.fragments).toBeGreaterThan(1);
});

test('an invalid schema is a BadRequestError naming response_format; the next request succeeds', async () => {
  const r = await page.evaluate(
    async ([model, messages]) => {
      const { client, OpenAI } = window.tabserve;
      const e = await client.chat.completions
        .create({ model, messages, response_format: { type: 'json_schema', json_schema: { name: 'bad', schema: { type: 'objekt' } } } })
        .catch((x: unknown) => x);
      const ok = await client.chat.completions.create({ model, messages, max_tokens: 2 });
      return { bad: e instanceof OpenAI.BadRequestError, status: (e as { status?: number }).status, param: (e as { param?: string }).param, message: (e as Error).message, role: ok.choices[0].message.role };
    },
    [MODEL, MESSAGES] as const,
  );
  expect(r).toMatchObject({ bad: true, status: 400, param: 'response_format', role: 'assistant' });
  expect(r.message).toMatch(/response_format\.json_schema\.schema/);
});
