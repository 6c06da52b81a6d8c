/**
 * `tabserve bench`: aggregate decode throughput of concurrent greedy streams, side by side in one run.
 * For each stream count N: N requests with different prompts start together through the generate loop
 * (continuous batching shares their forward chunks); the figure is all generated tokens over the wall time
 * from the first request to the last token, and the scheduler's chunks show how much was batched.
 * Without --model it generates a test model (random weights: speed does not depend on the values).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../engine/engine.ts';
import { generate } from '../engine/generate.ts';
import { openGpu } from '../gpu/device.ts';
import { nodeGpu } from '../gpu/node.ts';
import { fileSource } from '../gguf/node_source.ts';
import { builtinVocab } from '../model/builtin_vocab.ts';
import { TEST_MODEL_DEFAULTS, testModelGguf } from '../model/test_model.ts';
import { samplingParams } from '../sampling/params.ts';
import { tokenizerFromGguf } from '../tokenizer/tokenizer.ts';
import { mulberry32 } from '../util/rng.ts';
import { UsageError } from './usage.ts';

export interface StreamsResult {
  streams: number;
  tokens: number; // generated, all streams
  seconds: number;
  tokensPerSecond: number; // aggregate
  chunks: number; // forward chunks run
  maxSeqs: number; // most sequences in one chunk
}

function positiveInts(name: string, v: string): number[] {
  const out = v.split(',').map((s) => Number(s.trim()));
  if (!out.length || out.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--${name} must be positive integers separated by commas, got '${v}'`);
  return out;
}

export async function bench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      streams: { type: 'string', default: '1,4,16' },
      'prompt-tokens': { type: 'string', default: '32' },
      'max-tokens': { type: 'string', default: '32' },
      json: { type: 'boolean', default: false },
    },
  });
  const streams = positiveInts('streams', values.streams);
  const [promptTokens] = positiveInts('prompt-tokens', values['prompt-tokens']);
  const [maxTokens] = positiveInts('max-tokens', values['max-tokens']);
  let dir: string | undefined;
  let path = values.model;
  if (!path) {
    dir = mkdtempSync(join(tmpdir(), 'tabserve-bench-'));
    path = join(dir, 'bench.gguf');
    await writeFile(path, testModelGguf({ ...TEST_MODEL_DEFAULTS, type: 'q8_0', embd: 512, layers: 4, heads: 8, kvHeads: 2, ff: 1536, ctx: 1024, tiedEmbeddings: false, vocab: builtinVocab() }));
  }
  try {
    const gpu = await openGpu(await nodeGpu());
    const most = Math.max(...streams);
    const engine = await Engine.load(gpu, await fileSource(path), { contextTokens: promptTokens + maxTokens + 8, kvTokens: most * (promptTokens + maxTokens + 16) });
    const tokenizer = tokenizerFromGguf(engine.metadata);
    const params = samplingParams({ temperature: 0, max_tokens: maxTokens, ignore_eos: true });
    const rng = mulberry32(1);
    const prompt = () => Array.from({ length: promptTokens }, () => Math.floor(rng() * engine.hp.nVocab));
    const one = async (ids: number[]) => {
      let n = 0;
      for await (const ev of generate(engine, { prompt: ids, params, tokenizer })) if (ev.kind === 'token') n++;
      return n;
    };
    await one(prompt()); // warm-up: pipelines compiled, buffers grown
    const results: StreamsResult[] = [];
    for (const n of streams) {
      const prompts = Array.from({ length: n }, prompt);
      const before = engine.schedulerStats();
      const t0 = performance.now();
      const counts = await Promise.all(prompts.map(one));
      const seconds = (performance.now() - t0) / 1000;
      const after = engine.schedulerStats();
      const tokens = counts.reduce((a, b) => a + b, 0);
      results.push({ streams: n, tokens, seconds, tokensPerSecond: tokens / seconds, chunks: after.chunks - before.chunks, maxSeqs: after.maxSeqs });
    }
    engine.unload();
    gpu.device.destroy();
    const adapter = `${gpu.info.vendor} ${gpu.info.architecture}`.trim();
    if (values.json) {
      console.log(JSON.stringify({ date: new Date().toISOString(), adapter, model: values.model ?? 'generated (q8_0, embd 512, 4 layers)', promptTokens, maxTokens, results }));
      return;
    }
    console.log(`adapter: ${adapter}; model: ${values.model ?? 'generated q8_0, embd 512, 4 layers, built-in vocab'}; ${promptTokens} prompt + ${maxTokens} generated tokens per stream`);
    console.log('streams  tokens  seconds  tokens/s  x1     chunks');
    const base = results[0].tokensPerSecond;
    for (const r of results) {
      console.log(`${String(r.streams).padStart(7)}  ${String(r.tokens).padStart(6)}  ${r.seconds.toFixed(2).padStart(7)}  ${r.tokensPerSecond.toFixed(1).padStart(8)}  ${(r.tokensPerSecond / base).toFixed(2).padStart(5)}  ${String(r.chunks).padStart(6)}`);
    }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
