/**
 * Picks the next token from one position's logits: a pure function of (logits, history, params, banned, u),
 * like llama2.c's sampler, where u is one uniform in [0, 1) drawn by the caller (requestRng).
 *
 * Order of the controls (llama.cpp's default chain, except where temperature goes; see below):
 *   1. logit_bias                 logit[id] += bias
 *   2. penalties over the window  (the last penalty_last_n tokens of `history`), per distinct token with count c:
 *        repetition_penalty       logit > 0 ? logit / r : logit * r          (llama.cpp)
 *        frequency/presence       logit -= c * frequency_penalty + presence_penalty   (OpenAI)
 *   3. banned ids -> -inf         EOS/EOT/stop ids from endTokenMask (min_tokens, ignore_eos), and every id
 *                                 outside `allowed` (a grammar's mask) when one is given
 *   4. temperature 0              -> argmax (ties to the lowest id); steps 5-8 are skipped
 *   5. temperature                p ~ exp(logit / T), renormalized over the remaining candidates at each step
 *   6. top_k                      keep the k largest
 *   7. top_p                      keep the shortest most-likely prefix whose probability reaches top_p
 *   8. min_p                      keep p >= min_p * p_max
 *   9. draw                       inverse CDF with u over what is left
 * Temperature comes before the truncations, as in OpenAI, vLLM and Hugging Face: top_p and min_p act on the
 * tempered distribution. llama.cpp applies temperature last, which makes its top_p/min_p temperature-blind.
 * top_k is the same either way. Sums and the draw go over the candidates in ascending id order.
 * The GPU makes the same choice for the engine's steps: from the top k (shaders/pick.wgsl; the host then
 * samples the same top k with this function), and for top_k 0 from the whole row (shaders/draw.wgsl, in f32,
 * whose token the host takes: this function's, but within f32 rounding of a boundary).
 *
 * Logprobs use the MODEL's distribution: log-softmax of the raw logits given here, before every control
 * above (vLLM's default "raw_logprobs"). So they do not change with temperature, top_k/top_p, penalties or
 * logit_bias (OpenAI's are likewise observed not to move with temperature), they are always finite (JSON
 * has no -Infinity), and a forced or banned token still shows how likely the model found it. llama.cpp's
 * server reports post-chain probabilities instead: 0 / -inf for everything a truncation removed, and all
 * 1 / 0 under greedy decoding. Cost: one extra exp pass over V, only when params.logprobs.
 */
import type { SamplingParams } from './params.ts';
import { selectMass, topK } from './select.ts';

export interface TokenLogprob {
  readonly token: number;
  readonly logprob: number; // natural log, model distribution (see above)
}

export interface SampleResult {
  readonly token: number;
  /** log p(token) under the model's distribution; present when params.logprobs. */
  readonly logprob?: number;
  /** The params.top_logprobs most likely tokens of the model's distribution, most likely first; when > 0. */
  readonly topLogprobs?: readonly TokenLogprob[];
}

/** The distribution the draw uses: candidate ids (most likely first, ties to the lower id) and probabilities summing to 1. */
export interface Distribution {
  readonly ids: Int32Array;
  readonly probs: Float64Array;
}

/** Every logit is NaN or -inf (a broken forward pass), so no token can be chosen. */
export class NoCandidatesError extends Error {
  override name = 'NoCandidatesError';
}

/** Candidate list: positions [0, n) of parallel arrays, key = a logit or an unnormalized probability. */
interface Candidates {
  readonly keys: Float64Array;
  readonly ids: Int32Array;
}

// Grow-only scratch reused across calls (JS runs one call at a time): the working logits and a candidate
// list. Saves ~2 MB of allocation per token at V = 150k. Never returned to callers.
let work = new Float32Array(0);
let cand: Candidates = { keys: new Float64Array(0), ids: new Int32Array(0) };

function scratch(v: number): Candidates {
  if (cand.ids.length < v) cand = { keys: new Float64Array(v), ids: new Int32Array(v) };
  return cand;
}

/**
 * Steps 1-3: the logits with bias, penalties and bans applied. A copy in scratch when anything applies,
 * else the input itself (never written).
 */
function adjustedLogits(logits: Float32Array, history: ArrayLike<number>, p: SamplingParams, banned: readonly number[], allowed?: Int32Array): Float32Array {
  const v = logits.length;
  const penalize = p.repetition_penalty !== 1 || p.frequency_penalty !== 0 || p.presence_penalty !== 0;
  const window = p.penalty_last_n < 0 ? history.length : Math.min(p.penalty_last_n, history.length);
  const biased = Object.keys(p.logit_bias).length > 0;
  if (!biased && !(penalize && window > 0) && banned.length === 0 && !allowed) return logits;
  if (work.length < v) work = new Float32Array(v);
  const w = work.subarray(0, v);
  w.set(logits);
  for (const key in p.logit_bias) {
    const id = Number(key);
    if (id >= 0 && id < v) w[id] += p.logit_bias[id];
  }
  if (penalize && window > 0) {
    const counts = new Map<number, number>(); // token id -> occurrences in the window
    for (let j = history.length - window; j < history.length; j++) {
      const id = history[j];
      if (id >= 0 && id < v) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const r = p.repetition_penalty;
    for (const [id, c] of counts) {
      const l = w[id] > 0 ? w[id] / r : w[id] * r;
      w[id] = l - c * p.frequency_penalty - p.presence_penalty;
    }
  }
  for (const id of banned) if (id >= 0 && id < v) w[id] = -Infinity;
  if (allowed) for (let id = 0; id < v; id++) if (!isAllowed(allowed, id)) w[id] = -Infinity;
  return w;
}

/** Whether bitset `allowed` ([ceil(V / 32)] words, bit id & 31 of word id >> 5) has `id`. */
export const isAllowed = (allowed: Int32Array, id: number): boolean => ((allowed[id >> 5] >>> (id & 31)) & 1) === 1;

/** Lowest id holding the largest value (among the allowed); -1 when every value is NaN or -inf. */
function argmax(a: Float32Array, allowed?: Int32Array): number {
  let best = -1;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > max && (!allowed || isAllowed(allowed, i))) {
      max = a[i];
      best = i;
    }
  }
  return best;
}

/** An infinite logit takes all the mass: its tokens become the candidates, equally likely. */
function infiniteOnly(w: Float32Array, { keys, ids }: Candidates): number {
  let n = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i] !== Infinity) continue;
    keys[n] = 1;
    ids[n++] = i;
  }
  return n;
}

/**
 * Steps 5-6: candidates with unnormalized probabilities e = exp((logit - max) / T), so the top token has
 * e = 1. Tokens whose e underflows to 0 are left out (they could never be drawn). Returns their count.
 */
function tempered(w: Float32Array, p: SamplingParams, c: Candidates): number {
  const { keys, ids } = c;
  const invT = 1 / p.temperature;
  if (p.top_k > 0 && p.top_k < w.length) {
    const n = topK(w, p.top_k, keys, ids); // keys = logits here
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (keys[j] > max) max = keys[j];
    if (max === Infinity) return infiniteOnly(w, c);
    for (let j = 0; j < n; j++) keys[j] = Math.exp((keys[j] - max) * invT);
    return n;
  }
  let max = -Infinity;
  for (let i = 0; i < w.length; i++) if (w[i] > max) max = w[i];
  if (max === -Infinity) return 0;
  if (max === Infinity) return infiniteOnly(w, c);
  let n = 0;
  for (let i = 0; i < w.length; i++) {
    const e = Math.exp((w[i] - max) * invT); // NaN and -inf logits give NaN and 0: both fail `e > 0`
    if (e > 0) {
      keys[n] = e;
      ids[n++] = i;
    }
  }
  return n;
}

/** Steps 7-8 on the n tempered candidates: returns m, the survivors being positions [0, m), in no particular order. */
function truncated(p: SamplingParams, { keys, ids }: Candidates, n: number): number {
  if (n === 0 || (p.top_p >= 1 && p.min_p <= 0)) return n;
  let z = 0;
  for (let j = 0; j < n; j++) z += keys[j];
  // top_p and min_p both keep a prefix of the canonical order, so together they keep the shorter prefix.
  // min_p's prefix is a filter (e >= min_p * 1). Tokens with e < (1 - top_p) * z / n are also outside the
  // nucleus (all tokens from them on weigh < n * e < (1 - top_p) * z), so one pass drops both kinds and
  // the nucleus search sees only the few that can matter. Halved as a margin against rounding.
  const target = p.top_p * z;
  const floor = Math.max(p.min_p, p.top_p < 1 ? (0.5 * (1 - p.top_p) * z) / n : 0);
  let kept = 0;
  let keptMass = 0;
  for (let j = 0; j < n; j++) {
    const e = keys[j];
    if (e >= floor) {
      keys[kept] = e;
      ids[kept++] = ids[j];
      keptMass += e;
    }
  }
  // If the kept mass falls short of top_p (min_p cut deeper than the nucleus), all of it is the answer.
  if (p.top_p < 1 && keptMass >= target) return selectMass(keys, ids, kept, target);
  return kept;
}

// Grow-only scratch of byId, indexed by token id: a candidate's key, and whether the id is a candidate.
let keyById = new Float64Array(0);
let isCandidate = new Uint8Array(0);

/**
 * Puts positions [0, m) in ascending id order (when they are not already), so every later step sums and
 * draws in an order that does not depend on how the candidates were gathered: the GPU top-k path
 * (src/engine/generate.ts) then draws exactly the token this function draws from the whole row.
 * The ids are distinct and below v: a native sort of the ids, each key found again by id; or, when they are
 * a large share of the vocabulary (a flat distribution's nucleus), one pass over all v ids gathers them in
 * order (a nucleus of 100k tokens took ~20 ms with a comparator sort, at V = 152k).
 */
function byId({ keys, ids }: Candidates, m: number, v: number): void {
  let sorted = true;
  for (let j = 1; j < m && sorted; j++) sorted = ids[j] > ids[j - 1];
  if (sorted) return;
  if (keyById.length < v) [keyById, isCandidate] = [new Float64Array(v), new Uint8Array(v)];
  for (let j = 0; j < m; j++) keyById[ids[j]] = keys[j];
  if (m > v / 32) {
    for (let j = 0; j < m; j++) isCandidate[ids[j]] = 1;
    let n = 0;
    for (let id = 0; id < v; id++) {
      if (isCandidate[id] === 0) continue;
      isCandidate[id] = 0;
      ids[n] = id;
      keys[n++] = keyById[id];
    }
  } else {
    const sortedIds = ids.subarray(0, m).sort();
    for (let j = 0; j < m; j++) keys[j] = keyById[sortedIds[j]];
  }
}

/** Step 9: inverse CDF over positions [0, m) of the candidates (ids below v), in ascending id order, with u in [0, 1). */
function draw(c: Candidates, m: number, u: number, v: number): number {
  byId(c, m, v);
  const { keys, ids } = c;
  let z = 0;
  for (let j = 0; j < m; j++) z += keys[j];
  const t = u * z;
  let acc = 0;
  let last = 0;
  for (let j = 0; j < m; j++) {
    const e = keys[j];
    if (e <= 0) continue;
    acc += e;
    last = j;
    if (t < acc) return ids[j];
  }
  return ids[last]; // only reached when rounding left t >= the summed mass
}

/** Log-softmax statistics of the raw logits: log of the normalizer, so logprob(i) = logits[i] - lse. */
function logSumExp(logits: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  if (!Number.isFinite(max)) return max;
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i];
    if (l > -Infinity) s += Math.exp(l - max); // NaN fails the test and is skipped
  }
  return max + Math.log(s);
}

/** The k largest raw logits as logprobs, most likely first, ties to the lower id. O(V) for small k. */
function topLogprobsOf(logits: Float32Array, k: number, lse: number): TokenLogprob[] {
  const top: TokenLogprob[] = []; // kept sorted: logprob descending, then id ascending
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i];
    if (!(l > -Infinity)) continue;
    if (top.length === k && l - lse <= top[k - 1].logprob) continue; // an equal value at a higher id loses
    let at = top.length;
    while (at > 0 && top[at - 1].logprob < l - lse) at--;
    top.splice(at, 0, { token: i, logprob: l - lse });
    if (top.length > k) top.pop();
  }
  return top;
}

/** What steps 1-8 leave: one token (greedy), or m > 0 candidates at the front of `c` to draw from. */
type Chosen = { readonly kind: 'token'; readonly token: number } | { readonly kind: 'draw'; readonly c: Candidates; readonly m: number; readonly v: number };

function candidates(logits: Float32Array, history: ArrayLike<number>, p: SamplingParams, banned: readonly number[], allowed?: Int32Array): Chosen {
  const w = adjustedLogits(logits, history, p, banned, allowed);
  if (p.temperature === 0) {
    const token = argmax(w);
    if (token >= 0) return { kind: 'token', token };
  } else {
    const c = scratch(logits.length);
    const n = tempered(w, p, c);
    byId(c, n, logits.length); // top_k gathers in heap order; the other paths already go by id
    const m = truncated(p, c, n);
    if (m > 0) return { kind: 'draw', c, m, v: logits.length };
  }
  // Bans and penalties left nothing finite (a tiny vocabulary, or bans on all a grammar allows, e.g. an end
  // token under min_tokens once the grammar is complete): fall back to the raw argmax of what is allowed.
  const token = argmax(logits, allowed);
  if (token < 0) throw new NoCandidatesError(`all ${logits.length} logits are NaN or -inf`);
  return { kind: 'token', token };
}

/**
 * Chooses the next token.
 * logits  [V] the model's output for this position (not modified).
 * history token ids the penalties look at (prompt and generated so far, oldest first; the last
 *         penalty_last_n are used). Pass only generated ids to keep the prompt out of the penalties.
 * banned  ids masked to -inf before sampling (endTokenMask in end_tokens.ts).
 * u       uniform in [0, 1); ignored when temperature is 0.
 * allowed optional bitset of the only ids that may be chosen (a grammar's mask, src/grammar), applied with the bans.
 */
export function sample(logits: Float32Array, history: ArrayLike<number>, params: SamplingParams, u: number, banned: readonly number[] = [], allowed?: Int32Array): SampleResult {
  const chosen = candidates(logits, history, params, banned, allowed);
  const token = chosen.kind === 'draw' ? draw(chosen.c, chosen.m, u, chosen.v) : chosen.token;
  if (!params.logprobs) return { token };
  const lse = logSumExp(logits);
  const logprob = logits[token] - lse;
  if (params.top_logprobs <= 0) return { token, logprob };
  return { token, logprob, topLogprobs: topLogprobsOf(logits, params.top_logprobs, lse) };
}

/** The final distribution `sample` draws from (a single id with probability 1 under greedy). For tests and debugging. */
export function samplingDistribution(logits: Float32Array, history: ArrayLike<number>, params: SamplingParams, banned: readonly number[] = []): Distribution {
  const chosen = candidates(logits, history, params, banned);
  if (chosen.kind === 'token') return { ids: Int32Array.of(chosen.token), probs: Float64Array.of(1) };
  const { c: { keys, ids }, m } = chosen;
  const order = Array.from({ length: m }, (_, j) => j).sort((a, b) => keys[b] - keys[a] || ids[a] - ids[b]);
  let z = 0;
  for (let j = 0; j < m; j++) z += keys[j];
  return { ids: Int32Array.from(order, (j) => ids[j]), probs: Float64Array.from(order, (j) => keys[j] / z) };
}
