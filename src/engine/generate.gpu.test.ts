/**
 * The generate loop on a real device: the GPU top-k path picks exactly the CPU sampler's tokens, seeds
 * reproduce, stop strings spanning tokens are cut exactly and never streamed, EOS / min_tokens / max_tokens
 * end it as documented, and cancelling frees the sequence.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { openTestGpu } from '../gpu/node_testing.ts';
import { fileSource } from '../gguf/node_source.ts';
import { samplingParams } from '../sampling/params.ts';
import type { SamplingParams } from '../sampling/params.ts';
import { makeModel, randomPrompt } from '../testing/models.ts';
import { tokenizerFromGguf, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { Grammars, type TokenConstraint } from '../grammar/grammar.ts';
import { PERSON_SCHEMA } from '../testing/schemas.ts';
import { Engine } from './engine.ts';
import { generate, gpuTopk, type GenerateEvent } from './generate.ts';

let gpu: Gpu;
let engine: Engine;
let tok: Tokenizer;
beforeAll(async () => {
  gpu = await openTestGpu();
  const path = makeModel({ name: 'generate llama builtin', args: ['--arch', 'llama', '--type', 'q8_0', '--embd', '128', '--heads', '4', '--kv-heads', '2', '--ff', '256'] });
  engine = await Engine.load(gpu, await fileSource(path), { contextTokens: 256, checkPlans: true }); // every run encoded afresh and compared with its step plan
  tok = tokenizerFromGguf(engine.metadata);
});
afterAll(() => {
  engine?.unload();
  gpu?.device.destroy();
});

async function run(params: Partial<SamplingParams>, prompt = randomPrompt(engine.hp.nVocab, 12, 1, 1), opts: { gpuTopk?: boolean; signal?: AbortSignal; start?: { seq: number; cached: number }; constraint?: TokenConstraint } = {}) {
  const events: GenerateEvent[] = [];
  for await (const ev of generate(engine, { prompt, params: samplingParams(params), tokenizer: tok, ...opts })) events.push(ev);
  const tokens = events.flatMap((e) => (e.kind === 'token' ? [e.token] : []));
  const text = events.map((e) => (e.kind === 'done' ? '' : e.text)).join('');
  const done = events[events.length - 1];
  if (done.kind !== 'done') throw new Error('no done event');
  return { events, tokens, text, done };
}

describe('GPU top-k path', () => {
  const cases: Partial<SamplingParams>[] = [
    { temperature: 0, max_tokens: 24, ignore_eos: true },
    { temperature: 0, max_tokens: 24, ignore_eos: true, frequency_penalty: 0.5, presence_penalty: 0.25, repetition_penalty: 1.5, penalty_last_n: 8 },
    { temperature: 0.8, top_k: 40, top_p: 0.9, seed: 3, max_tokens: 24, ignore_eos: true },
    { temperature: 1.5, top_k: 64, min_p: 0.05, seed: 4, max_tokens: 24, ignore_eos: true, logit_bias: { 7: 2, 9: -100 }, frequency_penalty: 0.5 },
    { temperature: 1, top_k: 5, seed: 5, max_tokens: 24, min_tokens: 20, repetition_penalty: 2, penalty_last_n: -1 },
  ];
  test.each(cases)('gives the CPU sampler\'s tokens: %j', async (params) => {
    expect(gpuTopk(samplingParams(params))).toBeGreaterThan(0);
    const fast = await run(params);
    const cpu = await run(params, undefined, { gpuTopk: false });
    expect(fast.tokens.length).toBe(24);
    expect(fast.tokens).toEqual(cpu.tokens);
    expect(fast.text).toBe(cpu.text);
  });
});

describe('GPU top-k path with a grammar (the mask applied on the GPU)', () => {
  const cases: Partial<SamplingParams>[] = [
    { temperature: 0, max_tokens: 300 },
    { temperature: 1, top_k: 40, seed: 6, max_tokens: 300 },
    { temperature: 1.5, top_k: 64, min_p: 0.02, seed: 7, max_tokens: 300, frequency_penalty: 0.5, logit_bias: { 7: 5 } },
  ];
  test.each(cases)('gives the CPU sampler\'s tokens, and JSON valid for the schema: %j', async (params) => {
    expect(gpuTopk(samplingParams(params))).toBeGreaterThan(0);
    const grammars = await Grammars.of(tok);
    const spec = { kind: 'json_schema', schema: PERSON_SCHEMA, strict: true } as const;
    const fast = await run(params, undefined, { constraint: await grammars.constraint(spec) });
    const cpu = await run(params, undefined, { gpuTopk: false, constraint: await grammars.constraint(spec) });
    expect(fast.tokens).toEqual(cpu.tokens);
    expect(fast.done.finishReason).toBe('stop');
    const value = JSON.parse(fast.text) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(expect.arrayContaining(['name', 'age', 'role', 'address']));
  });
});

describe('generate', () => {
  test('a seed reproduces the output; another seed changes it; the stream joins to the full decode', async () => {
    const a = await run({ temperature: 1, seed: 42, max_tokens: 20, ignore_eos: true });
    const b = await run({ temperature: 1, seed: 42, max_tokens: 20, ignore_eos: true });
    const c = await run({ temperature: 1, seed: 43, max_tokens: 20, ignore_eos: true });
    expect(b.tokens).toEqual(a.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
    expect(a.text).toBe(tok.decode(a.tokens, { skipSpecial: true }));
    expect(a.done).toMatchObject({ finishReason: 'length', promptTokens: 12, completionTokens: 20 });
  });

  test('a stop string spanning 2-3 tokens is cut exactly and never streamed', async () => {
    const free = await run({ temperature: 0, max_tokens: 40, ignore_eos: true });
    const pieces = free.events.flatMap((e) => (e.kind === 'token' ? [e.text] : [])); // what each token added to the stream
    let checked = 0;
    for (const span of [2, 3]) {
      // a stop made of the end of one token, the whole next ones and the start of the last
      const at = pieces.findIndex((p, i) => i >= 5 && p.length >= 2 && pieces.slice(i + 1, i + span).every((q) => q.length >= 2));
      if (at < 0) continue;
      const stopText = pieces[at].slice(-1) + pieces.slice(at + 1, at + span - 1).join('') + pieces[at + span - 1].slice(0, 1);
      expect(free.text).toContain(stopText);
      const before = free.text.slice(0, free.text.indexOf(stopText));
      const r = await run({ temperature: 0, max_tokens: 40, ignore_eos: true, stop: [stopText] });
      expect(r.text).toBe(before);
      expect(r.done.finishReason).toBe('stop');
      for (const e of r.events) if (e.kind !== 'done') expect(e.text).not.toContain(stopText);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  test('EOS ends with stop (not emitted); min_tokens holds it back; ignore_eos ignores it', async () => {
    const eos = tok.eos!;
    const forced = await run({ temperature: 0, max_tokens: 10, logit_bias: { [eos]: 100 } });
    expect(forced.done).toMatchObject({ finishReason: 'stop', completionTokens: 1 });
    expect(forced.text).toBe('');
    const late = await run({ temperature: 0, max_tokens: 10, logit_bias: { [eos]: 100 }, min_tokens: 4 });
    expect(late.tokens).toHaveLength(4);
    expect(late.done).toMatchObject({ finishReason: 'stop', completionTokens: 5 });
    const ignored = await run({ temperature: 0, max_tokens: 6, logit_bias: { [eos]: 100 }, ignore_eos: true });
    expect(ignored.done).toMatchObject({ finishReason: 'length', completionTokens: 6 });
    expect(ignored.tokens).not.toContain(eos);
  });

  test('cancelling ends the stream at the next step and frees the sequence', async () => {
    const free = engine.kvStats().freePages;
    const ac = new AbortController();
    let n = 0;
    let last: GenerateEvent | undefined;
    for await (const ev of generate(engine, { prompt: [1, 5, 6], params: samplingParams({ temperature: 0, max_tokens: 100, ignore_eos: true }), tokenizer: tok, signal: ac.signal })) {
      last = ev;
      if (ev.kind === 'token' && ++n === 3) ac.abort();
    }
    expect(n).toBe(3);
    expect(last).toMatchObject({ kind: 'done', finishReason: 'cancelled', completionTokens: 3 });
    expect(engine.kvStats().freePages).toBe(free);
  });

  test('start: forks of a prefilled prompt give the same tokens as a fresh prompt and are freed', async () => {
    const free = engine.kvStats().freePages;
    const prompt = randomPrompt(engine.hp.nVocab, 20, 3, 1);
    const params = { temperature: 1, seed: 9, max_tokens: 8, ignore_eos: true };
    const fresh = await run(params, prompt);
    const base = engine.createSequence();
    await engine.prefill(base, prompt.slice(0, -1));
    for (let i = 0; i < 2; i++) {
      const tokens: number[] = [];
      for await (const ev of generate(engine, { prompt, params: samplingParams(params), tokenizer: tok, start: { seq: engine.fork(base), cached: prompt.length - 1 } })) {
        if (ev.kind === 'token') tokens.push(ev.token);
      }
      expect(tokens).toEqual(fresh.tokens);
    }
    // a start that does not hold what it claims is refused, and freed all the same
    const wrong = engine.fork(base);
    await expect(run(params, prompt, { start: { seq: wrong, cached: 3 } })).rejects.toMatchObject({ code: 'bad-sequence' });
    engine.free(base);
    expect(engine.kvStats().freePages).toBe(free);
  });

  test('a prompt that fills the context is a context-full error', async () => {
    await expect(run({ max_tokens: 1 }, randomPrompt(engine.hp.nVocab, 256, 2))).rejects.toMatchObject({ code: 'context-full' });
  });
});
