/**
 * Runs the choices of one request on the engine and reports them as one event stream, which the
 * non-streamed and the streamed responses both consume:
 *   { kind: 'start', index, score? }    before a choice's first output (after its prompt was prefilled)
 *   { kind: 'token' | 'text', index, ... }  as src/engine/generate.ts yields them
 *   { kind: 'done', index, finishReason, completionTokens }
 * Choices run one after another (the engine serializes GPU work anyway, and one live choice at a time
 * keeps a request's KV pages to the prompt plus one generation). With n > 1 the prompt is prefilled once
 * and every choice starts from an Engine.fork of it (copy-on-write pages). With a seed, choice i samples
 * with seed + i, so the choices differ yet the request reproduces. Choice index = prompt index * n + j.
 *
 * Prompt scoring (echo with logprobs): the logprob of each prompt token given the ones before it, from
 * the same raw-logit distribution as generated tokens (see src/sampling/sample.ts); the first token has
 * none. Rows are read back SCORE_CHUNK positions at a time, so memory stays O(SCORE_CHUNK * vocab).
 *
 * When `signal` aborts, generation ends at the next step (finish 'cancelled') and no further choice starts;
 * every sequence is freed on every path (normal end, abort, error, the consumer calling return()).
 */
import type { Engine, SeqId } from '../engine/engine.ts';
import type { TokenConstraint } from '../grammar/grammar.ts';
import { generate, type FinishReason } from '../engine/generate.ts';
import { samplingParams, type SamplingParams } from '../sampling/params.ts';
import { sample, type TokenLogprob } from '../sampling/sample.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

/** Logprobs of a prompt's tokens: null for the first (nothing predicts it). */
export interface PromptScore {
  logprobs: (number | null)[];
  top: (readonly TokenLogprob[] | null)[];
}

export type ChoiceEvent =
  | { kind: 'start'; index: number; promptIndex: number; score?: PromptScore }
  | { kind: 'token'; index: number; token: number; text: string; logprob?: number; topLogprobs?: readonly TokenLogprob[] }
  | { kind: 'text'; index: number; text: string }
  | { kind: 'done'; index: number; finishReason: FinishReason; completionTokens: number };

export interface RunOptions {
  engine: Engine;
  tokenizer: Tokenizer;
  params: SamplingParams;
  /** Choices per prompt. */
  n: number;
  signal: AbortSignal;
  /** Generated text continues the prompt's text (completions): keep its leading space. */
  continues: boolean;
  /** Score the prompt tokens (echo with logprobs); alternatives per position = params.top_logprobs. */
  scorePrompt: boolean;
  /** false: no generation at all (echo with max_tokens 0); each choice starts and ends with 0 tokens. */
  generate: boolean;
  /** A fresh grammar constraint for each choice (structured output, tool calls). */
  constraint?: () => Promise<TokenConstraint>;
}

/** Token counts, filled in as the run goes (the usage of a streamed response comes after its last choice). */
export interface RunUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number; // prompt tokens whose KV came from the prompt cache
}

/** Prompt positions scored per read-back: 16 rows of a 150k vocabulary are ~10 MB. */
export const SCORE_CHUNK = 16;

/** Choice i's sampling: seed + i (seed - i where that would leave the safe integers). */
export function choiceParams(p: SamplingParams, index: number): SamplingParams {
  if (p.seed === undefined || index === 0) return p;
  const seed = Number.isSafeInteger(p.seed + index) ? p.seed + index : p.seed - index;
  return { ...p, seed };
}

/** Feeds ids[0, P-1) to `seq` and returns the logprob of each ids[i] given ids[0, i). */
async function scorePrompt(engine: Engine, seq: SeqId, ids: readonly number[], top: number, signal: AbortSignal): Promise<PromptScore> {
  const score: PromptScore = { logprobs: [null], top: [null] };
  // Greedy with logprobs: sample() then reports the argmax token's logprob, from which the row's
  // log-sum-exp follows (lse = logit - logprob), and the top alternatives, all in one pass over the row.
  const probe = samplingParams({ temperature: 0, logprobs: true, top_logprobs: top });
  for (let i = 0; i < ids.length - 1 && !signal.aborted; i += SCORE_CHUNK) {
    const rows = await engine.prefillAll(seq, ids.slice(i, Math.min(i + SCORE_CHUNK, ids.length - 1)));
    rows.forEach((row, r) => {
      const best = sample(row, [], probe, 0);
      const lse = row[best.token] - best.logprob!;
      score.logprobs.push(row[ids[i + r + 1]] - lse);
      score.top.push(best.topLogprobs ?? []);
    });
  }
  return score;
}

export async function* runChoices(prompts: readonly (readonly number[])[], o: RunOptions, usage: RunUsage): AsyncGenerator<ChoiceEvent> {
  const { engine, tokenizer, signal } = o;
  for (let pi = 0; pi < prompts.length && !signal.aborted; pi++) {
    const ids = prompts[pi];
    const P = ids.length;
    // A shared prefix pays off for several choices, and scoring fills one anyway.
    const share = P > 1 && (o.scorePrompt || (o.generate && o.n > 1));
    let base: SeqId | undefined;
    try {
      let score: PromptScore | undefined;
      if (share) {
        base = engine.createSequence();
        if (o.scorePrompt) score = await scorePrompt(engine, base, ids, o.params.top_logprobs, signal);
        else await engine.prefill(base, ids.slice(0, P - 1));
      } else if (o.scorePrompt) score = { logprobs: [null], top: [null] };
      if (signal.aborted) return;
      usage.promptTokens += P;
      for (let j = 0; j < o.n && !signal.aborted; j++) {
        const index = pi * o.n + j;
        if (!o.generate) {
          yield { kind: 'start', index, promptIndex: pi, score };
          yield { kind: 'done', index, finishReason: 'length', completionTokens: 0 };
          continue;
        }
        // one choice: start from the longest cached prefix of the prompt (an earlier turn, a system prompt)
        const constraint = o.constraint ? await o.constraint() : undefined;
        const start = base !== undefined ? { seq: engine.fork(base), cached: P - 1 } : engine.promptCache.take(ids);
        if (base === undefined && start) usage.cachedTokens += start.cached;
        let started = false;
        // for-await starts the generator at once, so it owns (and frees) the fork from here on
        for await (const ev of generate(engine, { prompt: ids, params: choiceParams(o.params, index), tokenizer, signal, continues: o.continues, start, cache: true, constraint })) {
          if (!started) {
            started = true;
            yield { kind: 'start', index, promptIndex: pi, score };
          }
          if (ev.kind === 'done') {
            usage.completionTokens += ev.completionTokens;
            yield { kind: 'done', index, finishReason: ev.finishReason, completionTokens: ev.completionTokens };
          } else yield { ...ev, index };
        }
      }
    } finally {
      if (base !== undefined) engine.free(base);
    }
  }
}
