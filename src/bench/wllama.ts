/**
 * The browser bench's peer: wllama (llama.cpp compiled to wasm, with its WebGPU backend) in the same page,
 * on the same GGUF and prompt (as text: wllama takes no token ids), greedy, EOS ignored. Its prefill and decode rates are llama.cpp's own
 * timings (prompt_per_second, predicted_per_second, which leave out wllama's message passing); TTFT and load
 * are wall clock in the page. Browser-only: run by src/bench/browser/page.ts.
 */
import { Wllama, type LoadModelParams } from '@wllama/wllama';
import WLLAMA_WASM from '@wllama/wllama/esm/wasm/wllama.wasm?url';
import type { RunFigures } from './ours.ts';

export interface WllamaRun {
  gpu: boolean; // all layers on WebGPU, else the wasm CPU backend
  threads: number; // CPU threads (multi-threaded only when the page is cross-origin isolated)
  banned: readonly number[]; // token ids it may not sample (wllama fails on output that is not UTF-8)
}

/** `prompt.tokens`: its length by tabserve's tokenizer, which llama.cpp's must agree with. */
export async function measureWllama(url: string, prompt: { text: string; tokens: number }, maxTokens: number, o: WllamaRun): Promise<RunFigures & { backend: string }> {
  // llama.cpp's log says where the weights went: 'load_tensors: <backend> model buffer size = ...'
  const buffers = new Set<string>();
  const keep = (...a: unknown[]) => {
    const m = /load_tensors:\s+(\S+) model buffer size/.exec(a.map(String).join(' '));
    if (m) buffers.add(m[1]);
  };
  const wllama = new Wllama({ default: WLLAMA_WASM }, { suppressNativeLog: false, logger: { debug: keep, log: keep, warn: keep, error: keep } });
  try {
    const t0 = performance.now();
    const blob = await (await fetch(url)).blob();
    const params: LoadModelParams = { n_ctx: prompt.tokens + maxTokens + 16, n_batch: 512, n_threads: o.threads, n_gpu_layers: o.gpu ? 999 : 0, warmup: true };
    await wllama.loadModel([blob], params);
    const loadSeconds = (performance.now() - t0) / 1000;
    if (o.gpu && ![...buffers].some((b) => b !== 'CPU')) throw new Error(`its WebGPU backend took no layer (weights on ${[...buffers].join(', ') || 'an unknown backend'})`);
    const backend = o.gpu ? 'webgpu' : `wasm cpu (${wllama.getNumThreads()} thread${wllama.getNumThreads() === 1 ? '' : 's'})`;
    const start = performance.now();
    let first = 0;
    let last: { timings?: { prompt_n: number; prompt_ms: number; prompt_per_second: number; predicted_n: number; predicted_per_second: number } } = {};
    const server = { cache_prompt: false }; // a llama-server option wllama passes through
    const logit_bias = Object.fromEntries(o.banned.map((id) => [String(id), -1000]));
    const stream = await wllama.createCompletion({
      prompt: prompt.text,
      max_tokens: maxTokens,
      temperature: 0,
      ignore_eos: true,
      logit_bias: logit_bias as unknown as Record<string, number> & { token: number; bias: number }[], // wllama's type is an intersection no value meets
      stream: true,
      ...server,
    });
    for await (const chunk of stream) {
      if (!first) first = performance.now();
      if (chunk.timings) last = chunk;
    }
    const t = last.timings;
    if (!t) throw new Error('wllama reported no timings');
    if (t.prompt_n !== prompt.tokens) throw new Error(`wllama evaluated ${t.prompt_n} prompt tokens, tabserve ${prompt.tokens}`);
    return {
      backend,
      loadSeconds,
      ttftMs: (first || performance.now()) - start,
      prefillTokensPerSecond: t.prompt_per_second,
      decodeTokensPerSecond: t.predicted_per_second,
      decodeTokens: t.predicted_n,
    };
  } finally {
    await wllama.exit().catch(() => undefined);
  }
}
