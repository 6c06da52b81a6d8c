/**
 * The generate loop: prompt ids in, a stream of events out.
 *   for await (const ev of generate(engine, { prompt, params, tokenizer })) ...
 *     { kind: 'token', token, text, logprob?, topLogprobs? }   one per generated token; `text` is what this
 *                                                            token completed (held back while a UTF-8 character
 *                                                            or a possible stop string is unfinished)
 *     { kind: 'text', text }                                 the held-back tail, at the end
 *     { kind: 'done', finishReason, promptTokens, completionTokens }
 * Sampling follows src/sampling/sample.ts (order of the controls documented there). Where the result is the
 * same, a step reads back only the top k logits from the GPU (Engine.step): greedy requests and requests with
 * top_k <= 64. Requests with top_k 0 (OpenAI's defaults among them) have their token drawn from the whole row
 * on the GPU (kernels/draw.ts): sample()'s controls and draw in f32, so the token is sample()'s but where u,
 * the nucleus or min_p's cut lies within f32 rounding of a boundary (the same seed gives the same tokens on
 * the same adapter, with logprobs or without). With logprobs these paths are taken on steps with no bias,
 * penalty, ban or grammar (gpuLogprobsK; with a top_k, top_logprobs <= top_k), whose top entries, log-sum-exp
 * and drawn logit are the raw logits'. Otherwise the whole row comes back and the CPU sampler runs on it. The
 * GPU's steps, without a grammar or penalties, ask for the next step ahead (engine/steps_ahead.ts): fed the
 * token the GPU picks with the same sampler and draw (or drew), it runs while this one is read and handed out.
 * Penalties look at the generated tokens only (not the prompt). Cancel with `signal`: the loop ends with
 * finishReason 'cancelled' at the next step and frees its sequence.
 * `start` lets several generations share one prefilled prompt: the caller prefills prompt[0, cached) once
 * and hands each generation an Engine.fork of it; only the rest of the prompt is fed again.
 */
import type { TokenConstraint } from '../grammar/grammar.ts';
import { TOPK_INV_TEMP, TOPK_MAX_K, type TopkAdj, type TopkRow } from '../kernels/topk.ts';
import { endsGeneration, endTokenMask } from '../sampling/end_tokens.ts';
import type { SamplingParams } from '../sampling/params.ts';
import { requestRng } from '../sampling/rng.ts';
import { pickFromTopk } from '../sampling/pick.ts';
import { sample, type TokenLogprob } from '../sampling/sample.ts';
import { StopMatcher } from '../sampling/stop.ts';
import { TextStream } from '../tokenizer/stream.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { Engine, SeqId } from './engine.ts';
import { EngineError } from './errors.ts';

export type FinishReason = 'stop' | 'length' | 'cancelled';

export type GenerateEvent =
  | { kind: 'token'; token: number; text: string; logprob?: number; topLogprobs?: readonly TokenLogprob[] }
  | { kind: 'text'; text: string }
  | { kind: 'done'; finishReason: FinishReason; promptTokens: number; completionTokens: number };

export interface GenerateOptions {
  prompt: readonly number[];
  params: SamplingParams;
  tokenizer: Tokenizer;
  signal?: AbortSignal;
  /** Text decoding continues earlier text (a completion after its prompt): keeps a leading space. */
  continues?: boolean;
  /** false: always read back whole rows and sample on the CPU (tests compare the paths). Default true: top k or a GPU draw where they apply. */
  gpuTopk?: boolean;
  /**
   * A sequence that already holds prompt[0, cached), e.g. a fork of a prompt prefilled once for n choices.
   * Generation takes it over (it is freed at the end, as its own would be) and feeds prompt[cached..];
   * cached < prompt.length, since the last prompt token's logits are needed.
   */
  start?: { seq: SeqId; cached: number };
  /** At the end, hand the sequence (prompt and generated tokens) to engine.promptCache instead of freeing it. */
  cache?: boolean;
  /**
   * Only tokens this grammar allows are sampled (structured output, tool calls); when it is complete the
   * generation ends ('stop'). Generation owns it: disposed at the end. On the GPU top-k path the mask is
   * applied on the GPU (kernels/token_mask.ts); otherwise to the whole row read back.
   */
  constraint?: TokenConstraint;
}

/**
 * Whether a request's token is drawn from the whole row on the GPU (kernels/draw.ts): sampled (temperature > 0)
 * with top_k 0, where the top-k path would take the request with a top_k, logprobs aside (gpuTopk: the
 * temperature within topk's range, ...; logprobs: gpuLogprobsK).
 */
export function gpuDraw(p: SamplingParams): boolean {
  return p.temperature > 0 && p.top_k === 0 && gpuTopk({ ...p, top_k: 1, logprobs: false, top_logprobs: 0 }) > 0;
}

/** The GPU top-k path gives exactly the CPU sampler's token for these requests; k to read back, or 0. */
export function gpuTopk(p: SamplingParams): number {
  if (p.logprobs) return 0; // logprobs are of the raw logits, which the in-place adjustments overwrite
  if (Object.keys(p.logit_bias).length > 0 && p.repetition_penalty !== 1) return 0; // bias must precede the division
  if (p.temperature === 0) return 1;
  if (!(1 / p.temperature >= TOPK_INV_TEMP.min && 1 / p.temperature <= TOPK_INV_TEMP.max)) return 0; // topk's range
  return p.top_k >= 1 && p.top_k <= TOPK_MAX_K ? p.top_k : 0;
}

/**
 * k of the GPU top-k path for a logprobs request, or 0: greedy or a top_k 0 draw (top_logprobs entries, at
 * least 1), or with a top_k the top-k path takes and no fewer entries than top_logprobs (the step run ahead
 * samples from all k). Only its steps without adjustments or a grammar take it (logprobs are of the raw
 * logits; see logprobsOf).
 */
export function gpuLogprobsK(p: SamplingParams): number {
  if (!p.logprobs || p.top_logprobs > TOPK_MAX_K) return 0;
  if (gpuDraw(p)) return Math.max(1, p.top_logprobs);
  const k = gpuTopk({ ...p, logprobs: false, top_logprobs: 0 });
  if (k === 0) return 0;
  if (p.temperature === 0) return Math.max(1, p.top_logprobs);
  return p.top_logprobs <= k ? k : 0;
}

/** The token's logprob and the top_logprobs entries from a top-k row of the raw logits, as sample() gives them. */
function logprobsOf(row: TopkRow, token: number, p: SamplingParams, drawn: boolean): { logprob: number; topLogprobs?: TokenLogprob[] } {
  // a drawn token's logit came with it (draw.wgsl); else it is among the entries: greedy takes the first, top_k sampling one of them
  const logprob = (drawn ? row.drawnLogit : row.logits[row.ids.indexOf(token)]) - row.lse1;
  if (p.top_logprobs <= 0) return { logprob };
  const topLogprobs: TokenLogprob[] = [];
  for (let j = 0; j < p.top_logprobs && row.ids[j] >= 0; j++) topLogprobs.push({ token: row.ids[j], logprob: row.logits[j] - row.lse1 });
  return { logprob, topLogprobs };
}

/** Bias, penalties and bans of one step as sparse GPU adjustments, as sample.ts applies them. */
export function stepAdjustments(p: SamplingParams, history: readonly number[], banned: readonly number[]): TopkAdj[] {
  const byId = new Map<number, TopkAdj>();
  const entry = (id: number) => byId.get(id) ?? byId.set(id, { row: 0, id, r: 1, sub: 0 }).get(id)!;
  for (const key in p.logit_bias) entry(Number(key)).sub -= p.logit_bias[key];
  const penalize = p.repetition_penalty !== 1 || p.frequency_penalty !== 0 || p.presence_penalty !== 0;
  const window = p.penalty_last_n < 0 ? history.length : Math.min(p.penalty_last_n, history.length);
  if (penalize && window > 0) {
    const counts = new Map<number, number>();
    for (let j = history.length - window; j < history.length; j++) counts.set(history[j], (counts.get(history[j]) ?? 0) + 1);
    for (const [id, c] of counts) {
      const a = entry(id);
      a.r = p.repetition_penalty;
      a.sub += c * p.frequency_penalty + p.presence_penalty;
    }
  }
  for (const id of banned) entry(id).sub = Infinity;
  return [...byId.values()];
}

export async function* generate(engine: Engine, o: GenerateOptions): AsyncGenerator<GenerateEvent> {
  const { params: p, tokenizer, prompt } = o;
  const cached = o.start?.cached ?? 0;
  const room = engine.contextTokens - prompt.length;
  let problem: EngineError | undefined;
  if (prompt.length === 0) problem = new EngineError('bad-token', 'the prompt is empty');
  else if (room < 1) problem = new EngineError('context-full', `the prompt has ${prompt.length} tokens; the context holds ${engine.contextTokens}`);
  else if (o.start && (cached >= prompt.length || engine.length(o.start.seq) !== cached)) problem = new EngineError('bad-sequence', `the start sequence must hold prompt[0, ${cached}) with ${cached} < ${prompt.length}`);
  if (problem) {
    if (o.start) engine.free(o.start.seq); // it was handed over: free it on every path
    o.constraint?.dispose();
    throw problem;
  }
  const maxTokens = Math.min(p.max_tokens ?? room, room);
  const eog = [...tokenizer.eog];
  const rng = requestRng(p.seed);
  const constraint = o.constraint;
  const draw = o.gpuTopk !== false && gpuDraw(p);
  // a draw needs topk's max only (with logprobs, its top_logprobs entries): a larger k would let it find small
  // nuclei among the entries, but on flat rows topk's sorting cost more than the draw's search of the row
  // (smollm2 on lavapipe: 28 ms at k 64, 0.5 ms)
  const k = o.gpuTopk === false || (p.logprobs && constraint) ? 0 : p.logprobs ? gpuLogprobsK(p) : draw ? 1 : gpuTopk(p);
  const fixedAdjustments = p.repetition_penalty === 1 && p.frequency_penalty === 0 && p.presence_penalty === 0; // none from the history
  const text = new TextStream(tokenizer, { skipSpecial: true, continues: o.continues });
  const stop = new StopMatcher(p.stop);
  let release: () => void;
  try {
    release = engine.admit(); // 'busy' when the engine runs as many generations as it admits
  } catch (e) {
    if (o.start) engine.free(o.start.seq);
    constraint?.dispose();
    throw e;
  }
  let seq: SeqId;
  try {
    seq = o.start?.seq ?? engine.createSequence();
  } catch (e) {
    release();
    constraint?.dispose();
    throw e;
  }
  const generated: number[] = [];
  let finishReason: FinishReason = 'length';
  let ended = false; // the loop ran to its end (not an error)
  try {
    let feed: readonly number[] = cached ? prompt.slice(cached) : prompt;
    let uNext = rng(); // a step's draw, and (drawn on the GPU) the next step's: a step run ahead draws with it
    while (generated.length < maxTokens) {
      if (o.signal?.aborted) {
        finishReason = 'cancelled';
        break;
      }
      const banned = endTokenMask(p, eog, generated.length);
      const allowed = constraint ? await constraint.allowed() : undefined;
      const u = uNext; // one draw per step whichever path runs, so a seed gives the same tokens on both
      uNext = rng();
      let token: number;
      let logprob: number | undefined;
      let topLogprobs: readonly TokenLogprob[] | undefined;
      // no grammar, no penalties from the history: the next step may go ahead, fed the GPU's pick from this
      // step's top k with this u (its adjustments are these again), unless this step gives the last token
      const ahead = !constraint && fixedAdjustments && generated.length + 2 <= maxTokens ? { u, invTemp: p.temperature > 0 ? 1 / p.temperature : 0, topP: p.top_p, minP: p.min_p } : undefined;
      const drawn = draw ? { u, topP: p.top_p, minP: p.min_p, next: uNext } : undefined;
      const adj = stepAdjustments(p, generated, banned);
      const useGpu = k > 0 && !(p.logprobs && adj.length > 0); // logprobs: the raw row's top entries (no adjustments)
      const row = useGpu ? await engine.step(seq, feed, { k, invTemp: p.temperature > 0 ? 1 / p.temperature : 1, adj, allowed, ahead, draw: drawn }) : undefined;
      if (row && row.max > -Infinity && !(draw && row.drawn < 0)) {
        token = draw ? row.drawn : pickFromTopk(row, p, u);
        if (p.logprobs) ({ logprob, topLogprobs } = logprobsOf(row, token, p, draw));
      } else {
        // the whole row: raw logits from the forward pass (or, after an all-masked top-k step or a row the GPU
        // could not draw from, recomputed)
        const logits = row ? await rerun(engine, seq, feed) : await engine.prefill(seq, feed);
        ({ token, logprob, topLogprobs } = sample(logits, generated, p, u, banned, allowed));
      }
      if (constraint && !constraint.accept(token)) throw new EngineError('grammar', `the grammar rejected token ${token}, which its own mask allowed`);
      const end = endsGeneration(token, p, eog, generated.length) || (constraint?.done ?? false);
      generated.push(token);
      if (end) {
        finishReason = 'stop';
        break;
      }
      const piece = stop.push(text.push(token));
      yield { kind: 'token', token, text: piece.emit, logprob, topLogprobs };
      if (piece.stopped) {
        finishReason = 'stop';
        break;
      }
      feed = [token];
    }
    if (finishReason !== 'stop' || !stop.stopped) {
      const tail = stop.push(text.flush()).emit + (stop.stopped ? '' : stop.flush());
      if (tail) yield { kind: 'text', text: tail };
    }
    ended = true;
    yield { kind: 'done', finishReason, promptTokens: prompt.length, completionTokens: generated.length };
  } finally {
    // the sequence holds the prompt and the generated tokens fed back (all but the last)
    release();
    constraint?.dispose();
    if (ended && o.cache) {
      const held = engine.length(seq);
      engine.truncate(seq, held); // drops a step run ahead that nobody will claim (engine/steps_ahead.ts)
      engine.promptCache.keep(seq, [...prompt, ...generated].slice(0, held));
    }
    else engine.free(seq);
  }
}

/** Raw logits of the last step again: rewinds the sequence past `fed` and feeds it once more. */
async function rerun(engine: Engine, seq: number, fed: readonly number[]): Promise<Float32Array> {
  engine.truncate(seq, engine.length(seq) - fed.length);
  return engine.prefill(seq, fed);
}
