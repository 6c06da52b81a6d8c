/**
 * tabserve's single-stream figures for one model: load, prefill of a random prompt, greedy decode (EOS
 * ignored), host time per decode step, effective weight bandwidth, and the GPU memory it allocated.
 * GPU memory is counted by wrapping the device's createBuffer / destroy for the length of the run.
 * Runs in Node (Dawn) and in a browser Worker (the browser bench): the model comes as a byte source.
 */
import type { LayoutTuning } from '../model/tune.ts';
import { Engine } from '../engine/engine.ts';
import { generate } from '../engine/generate.ts';
import type { Gpu } from '../gpu/device.ts';
import type { ByteSource } from '../gguf/source.ts';
import { kvPageBytes } from '../kv/budget.ts';
import { samplingParams } from '../sampling/params.ts';
import { profileStep, type StepProfile } from './profile.ts';
import { completionPromptIds } from '../template/prompt_ids.ts';
import { tokenizerFromGguf, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { mulberry32 } from '../util/rng.ts';

export interface RunFigures {
  loadSeconds: number;
  ttftMs: number; // request to first token: the whole prompt's prefill and the first sample
  prefillTokensPerSecond: number; // prompt tokens / ttft
  decodeTokensPerSecond: number; // tokens after the first / the time after the first
  decodeTokens: number;
  tokens?: number[]; // the tokens generated (greedy ones are compared between runtimes on the same prompt)
}

export interface OurFigures extends RunFigures {
  nVocab: number;
  promptTokens: number; // the prompt's length, in tokens
  promptText?: string; // the prompt, when it was text (textPrompt)
  fileBytes: number;
  loadMBPerSecond: number; // file bytes read and uploaded per second (1e6)
  hostMsPerStep: number; // on a decode step's path: its inputs written, encoding unless done ahead, submit, read back
  hostMsMedian: number; // the median step's: without the rare long pauses (garbage collection) the mean has
  aheadMsPerStep: number; // encoding the next step's commands while the GPU runs this one (Forward.timing), per step
  weightBytesPerToken: number; // weights one decode step streams (every tensor; of the embedding only a row, when not tied)
  effectiveGBPerSecond: number; // weightBytesPerToken * decode tokens/s / 1e9
  gpuPeakBytes: number; // most bytes of GPU buffers alive at once
  weightBytes: number;
  kvBytes: number;
  profile?: StepProfile; // --profile: a decode step's GPU time per dispatch (profile.ts)
  prefillProfile?: StepProfile & { tokens: number; firstPos: number }; // --profile: the prompt's last prefill chunk's
  profileError?: string; // why there is none although asked for
  layoutTuning?: LayoutTuning; // what the load's layout tuning measured and chose (on a GPU; model/tune.ts)
}

/**
 * The prompt's last prefill chunk, profiled as a decode step is: the prompt is fed again to a sequence of its
 * own, whose last chunk's plan is then replayed (it rewrites that chunk's K/V with the same values), and the
 * sequence freed. Chunks are chunkTokens long from the prompt's start, so the last holds the rest.
 */
async function profilePrefill(engine: Engine, device: GPUDevice, prompt: readonly number[]): Promise<StepProfile & { tokens: number; firstPos: number }> {
  const seq = engine.createSequence();
  try {
    await engine.prefill(seq, prompt);
    const tokens = ((prompt.length - 1) % engine.chunkTokens) + 1;
    return { ...(await profileStep(device, engine.lastRunPlan()!)), tokens, firstPos: prompt.length - tokens };
  } finally {
    engine.free(seq);
  }
}

/** Counts the bytes of buffers created and not yet destroyed on `device` until the returned stop(). */
function countBuffers(device: GPUDevice): { peak: () => number; stop: () => void } {
  const create = device.createBuffer;
  let live = 0;
  let peak = 0;
  device.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor): GPUBuffer {
    const buf = create.call(this, d);
    const destroy = buf.destroy;
    let alive = true;
    live += d.size;
    peak = Math.max(peak, live);
    buf.destroy = function (this: GPUBuffer) {
      if (alive) live -= d.size;
      alive = false;
      return destroy.call(this);
    };
    return buf;
  };
  return { peak: () => peak, stop: () => void (device.createBuffer = create) };
}

/** Random prompt ids below the vocabulary size (speed does not depend on which). */
export function randomPrompt(n: number, nVocab: number, seed = 1): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => Math.floor(rng() * nVocab));
}

const WORDS = 'the quick brown fox jumps over a lazy dog while seven small birds sing in the old garden and'.split(' ');

/**
 * English text the model's tokenizer makes into at most n tokens, BOS included when it adds one (as close
 * to n as whole words get), and those ids: for peers that take a prompt only as text (wllama).
 */
export function textPrompt(tok: Tokenizer, n: number): { text: string; ids: number[] } {
  let text = '';
  let ids = completionPromptIds(tok, text);
  for (let i = 0; ; i++) {
    const next = text + (i ? ' ' : '') + WORDS[i % WORDS.length];
    const more = completionPromptIds(tok, next);
    if (more.length > n || i > 4 * n) return { text, ids };
    [text, ids] = [next, more];
  }
}

/** How the timed tokens are chosen: greedy when absent (bench --temperature, --top-p, --top-k). */
export interface BenchSampling {
  temperature: number; // > 0
  topP: number; // (0, 1]
  topK: number; // 0: the whole vocabulary
}

/**
 * `open` gives the model file's bytes (called twice: loading, then listing its tensors). The prompt is
 * random ids, or with `text` English text (textPrompt).
 */
export interface MeasureOptions {
  promptTokens: number;
  maxTokens: number;
  text?: boolean; // an English prompt (textPrompt) instead of random ids
  onTokenizer?: (tok: Tokenizer) => void; // the model's tokenizer, for a peer's run after this one
  profile?: boolean; // profile a decode step and the prompt's last prefill chunk after the run (needs 'timestamp-query')
  matmulLanes?: number; // Engine.load's: lanes per row of the matmuls (bench --lanes)
  prefillRows?: number; // Engine.load's: rows per invocation of the prefill matmuls (bench --prefill-rows)
  decodeRows?: number; // and of the decode matmuls (bench --decode-rows)
  tune?: boolean; // Engine.load's: false keeps the default layout where the load would tune it
  sampling?: BenchSampling; // greedy when absent
}

export async function measureOurs(gpu: Gpu, open: () => Promise<ByteSource>, o: MeasureOptions): Promise<OurFigures> {
  const counter = countBuffers(gpu.device);
  try {
    const t0 = performance.now();
    const source = await open();
    const fileBytes = source.size;
    const contextTokens = o.promptTokens + o.maxTokens + 8;
    const engine = await Engine.load(gpu, source, { contextTokens, kvTokens: contextTokens + 16, matmulLanes: o.matmulLanes, prefillRows: o.prefillRows, decodeRows: o.decodeRows, tune: o.tune });
    const loadSeconds = (performance.now() - t0) / 1000;
    try {
      const { tensors } = await Engine.inspect(await open());
      const weightBytes = tensors.reduce((s, t) => s + t.bytes, 0);
      const tied = !tensors.some((t) => t.name === 'output.weight');
      const embd = tensors.find((t) => t.name === 'token_embd.weight');
      const weightBytesPerToken = weightBytes - (embd && !tied ? embd.bytes - embd.bytes / embd.dims[1] : 0);
      const { hp } = engine;
      const kv = engine.kvStats();
      const kvBytes = 2 * hp.nLayer * kv.totalPages * kvPageBytes(hp.nHeadKv, hp.headDim, kv.pageSize);
      const tokenizer = tokenizerFromGguf(engine.metadata);
      o.onTokenizer?.(tokenizer);
      const s = o.sampling;
      const chosen = s ? { temperature: s.temperature, top_p: s.topP, top_k: s.topK, seed: 1 } : { temperature: 0 };
      const params = samplingParams({ ...chosen, max_tokens: o.maxTokens, ignore_eos: true });
      const run = async (prompt: number[]) => {
        const times: number[] = [];
        const tokens: number[] = [];
        const stepMs: number[] = []; // host ms of each decode step (one run between tokens)
        let timing = engine.forwardTiming();
        let last = timing;
        const start = performance.now();
        for await (const ev of generate(engine, { prompt, params, tokenizer })) {
          if (ev.kind !== 'token') continue;
          times.push(performance.now());
          tokens.push(ev.token);
          const now = engine.forwardTiming();
          if (times.length === 1) timing = now; // decode steps start here
          else if (now.runs === last.runs + 1) stepMs.push(now.hostMs - last.hostMs);
          last = now;
        }
        const end = engine.forwardTiming();
        const hostMsMedian = stepMs.sort((a, b) => a - b)[stepMs.length >> 1] ?? NaN;
        return { start, times, tokens, steps: end.runs - timing.runs, hostMs: end.hostMs - timing.hostMs, hostMsMedian, aheadMs: end.aheadMs - timing.aheadMs };
      };
      await run(randomPrompt(Math.min(o.promptTokens, 16), hp.nVocab, 2)); // warm-up: pipelines, buffers
      const text = o.text ? textPrompt(tokenizer, o.promptTokens) : undefined;
      const prompt = text?.ids ?? randomPrompt(o.promptTokens, hp.nVocab);
      const r = await run(prompt);
      // the last run was a decode step: its plan is replayed with timestamps
      const plan = engine.lastRunPlan();
      const noProfile = gpu.device.features.has('timestamp-query') ? (plan ? undefined : 'no decode step plan') : "the device has no 'timestamp-query'";
      const profile = o.profile && !noProfile ? await profileStep(gpu.device, plan!) : undefined;
      const prefillProfile = o.profile && !noProfile ? await profilePrefill(engine, gpu.device, prompt) : undefined;
      const ttftMs = r.times[0] - r.start;
      const decodeSeconds = (r.times[r.times.length - 1] - r.times[0]) / 1000;
      const decodeTokensPerSecond = (r.times.length - 1) / decodeSeconds;
      return {
        nVocab: hp.nVocab,
        fileBytes,
        loadSeconds,
        loadMBPerSecond: fileBytes / loadSeconds / 1e6,
        ttftMs,
        promptTokens: prompt.length,
        promptText: text?.text,
        prefillTokensPerSecond: prompt.length / (ttftMs / 1000),
        decodeTokensPerSecond,
        decodeTokens: r.times.length,
        tokens: r.tokens,
        hostMsPerStep: r.hostMs / Math.max(1, r.steps),
        hostMsMedian: r.hostMsMedian,
        aheadMsPerStep: r.aheadMs / Math.max(1, r.steps),
        weightBytesPerToken,
        layoutTuning: engine.layoutTuning,
        effectiveGBPerSecond: (weightBytesPerToken * decodeTokensPerSecond) / 1e9,
        gpuPeakBytes: counter.peak(),
        weightBytes,
        kvBytes,
        profile,
        prefillProfile,
        profileError: o.profile ? noProfile : undefined,
      };
    } finally {
      engine.unload();
    }
  } finally {
    counter.stop();
  }
}
