/**
 * Aggregate decode throughput of concurrent greedy streams (continuous batching), side by side in one run.
 * For each stream count N: N requests with different random prompts start together; the figure is all
 * generated tokens over the wall time from the first request to the last token, and the scheduler's chunks
 * show how much was batched.
 */
import { Engine } from '../engine/engine.ts';
import { generate } from '../engine/generate.ts';
import type { Gpu } from '../gpu/device.ts';
import { fileSource } from '../gguf/node_source.ts';
import { samplingParams } from '../sampling/params.ts';
import { tokenizerFromGguf } from '../tokenizer/tokenizer.ts';
import { randomPrompt } from './ours.ts';

export interface StreamsResult {
  streams: number;
  tokens: number; // generated, all streams
  seconds: number;
  tokensPerSecond: number; // aggregate
  chunks: number; // forward chunks run
  maxSeqs: number; // most sequences in one chunk
}

/** `tokens` is both the prompt length and the tokens generated per stream. */
export async function measureStreams(gpu: Gpu, path: string, streams: number[], tokens: number): Promise<StreamsResult[]> {
  const most = Math.max(...streams);
  const engine = await Engine.load(gpu, await fileSource(path), { contextTokens: 2 * tokens + 8, kvTokens: most * (2 * tokens + 16) });
  try {
    const tokenizer = tokenizerFromGguf(engine.metadata);
    const params = samplingParams({ temperature: 0, max_tokens: tokens, ignore_eos: true });
    let seed = 1;
    const one = async (ids: number[]) => {
      let n = 0;
      for await (const ev of generate(engine, { prompt: ids, params, tokenizer })) if (ev.kind === 'token') n++;
      return n;
    };
    await one(randomPrompt(tokens, engine.hp.nVocab, seed++)); // warm-up: pipelines compiled, buffers grown
    const results: StreamsResult[] = [];
    for (const n of streams) {
      const prompts = Array.from({ length: n }, () => randomPrompt(tokens, engine.hp.nVocab, seed++));
      const before = engine.schedulerStats();
      const t0 = performance.now();
      const counts = await Promise.all(prompts.map(one));
      const seconds = (performance.now() - t0) / 1000;
      const after = engine.schedulerStats();
      const total = counts.reduce((a, b) => a + b, 0);
      results.push({ streams: n, tokens: total, seconds, tokensPerSecond: total / seconds, chunks: after.chunks - before.chunks, maxSeqs: after.maxSeqs });
    }
    return results;
  } finally {
    engine.unload();
  }
}
