/**
 * Sampling parameters of one request, as the OpenAI-style routes accept them (snake_case field names),
 * and their validation. `validateSampling` turns an untrusted request body into `SamplingParams` or
 * throws `SamplingParamError` naming the offending field, so a route can answer
 * `400 {"error": {"type": "invalid_request_error", "param": err.param, "message": err.message}}`.
 *
 * Unknown fields are ignored (the body also carries model, messages, stream, ...). `null` means "not given"
 * for every field, as the OpenAI SDKs send it.
 */

export interface SamplingParams {
  /** Divides the logits before softmax. 0 = greedy (argmax, ties to the lowest id). Any finite value >= 0. */
  readonly temperature: number;
  /** Keep the k most likely tokens. 0 = off (-1 is accepted as off, as vLLM spells it). */
  readonly top_k: number;
  /** Nucleus: keep the smallest most-likely set whose probability reaches top_p. In (0, 1]; 1 = off. */
  readonly top_p: number;
  /** Drop tokens whose probability is below min_p * (probability of the most likely token). [0, 1]; 0 = off. */
  readonly min_p: number;
  /** llama.cpp semantics: a positive logit of a recent token is divided by it, a negative one multiplied. > 0; 1 = off. */
  readonly repetition_penalty: number;
  /** OpenAI semantics: logit -= count_in_window * frequency_penalty. [-2, 2]. */
  readonly frequency_penalty: number;
  /** OpenAI semantics: logit -= presence_penalty if the token occurs in the window. [-2, 2]. */
  readonly presence_penalty: number;
  /**
   * How many of the most recent history tokens the three penalties look at (llama.cpp's repeat_last_n).
   * 64 by default (llama.cpp's default); -1 = the whole history given to the sampler; 0 = penalties off.
   */
  readonly penalty_last_n: number;
  /** Added to the logit of each token id before anything else. Values in [-100, 100]; ids < nVocab. */
  readonly logit_bias: Readonly<Record<number, number>>;
  /** Seed for the request's random numbers (see requestRng). undefined = a fresh random seed. */
  readonly seed: number | undefined;
  /** Report the chosen token's log-probability (see sample.ts for which distribution). */
  readonly logprobs: boolean;
  /** Also report this many most likely alternatives per position, 0..20. Needs logprobs. */
  readonly top_logprobs: number;
  /** End-of-generation tokens and stop_token_ids are masked until this many tokens were generated. */
  readonly min_tokens: number;
  /** Never end on the model's EOS/EOT: they are masked to -inf for the whole request (llama.cpp semantics). */
  readonly ignore_eos: boolean;
  /** Stop strings, cut from the output (the stop itself is not emitted). Up to MAX_STOP_STRINGS; empty strings dropped. */
  readonly stop: readonly string[];
  /** Token ids that end generation like EOS (even with ignore_eos); their text is not emitted. */
  readonly stop_token_ids: readonly number[];
  /** Most tokens to generate; undefined = until the context is full. From max_completion_tokens or max_tokens. */
  readonly max_tokens: number | undefined;
}

/** OpenAI allows 4 stop strings; local clients often send a few more (one per chat template end marker). */
export const MAX_STOP_STRINGS = 16;
export const MAX_TOP_LOGPROBS = 20;

export const DEFAULT_SAMPLING: SamplingParams = Object.freeze({
  temperature: 1,
  top_k: 0,
  top_p: 1,
  min_p: 0,
  repetition_penalty: 1,
  frequency_penalty: 0,
  presence_penalty: 0,
  penalty_last_n: 64,
  logit_bias: Object.freeze({}),
  seed: undefined,
  logprobs: false,
  top_logprobs: 0,
  min_tokens: 0,
  ignore_eos: false,
  stop: Object.freeze([]),
  stop_token_ids: Object.freeze([]),
  max_tokens: undefined,
});

/** A request field with a wrong type or an out-of-range value. `param` is the OpenAI field name. */
export class SamplingParamError extends Error {
  override name = 'SamplingParamError';
  constructor(
    readonly param: string | null,
    message: string,
  ) {
    super(message);
  }
}

export interface ValidateOptions {
  /**
   * /v1/completions (legacy) semantics: `logprobs` is an integer 0..20 meaning "report the chosen token and
   * this many alternatives" (becomes logprobs: true, top_logprobs: n); `top_logprobs` is not read.
   */
  readonly legacyLogprobs?: boolean;
}

type Body = Readonly<Record<string, unknown>>;

const describe = (v: unknown): string => (Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'string' ? `the string ${JSON.stringify(v)}` : typeof v === 'object' ? 'an object' : String(v));

function numberIn(body: Body, name: string, fallback: number, lo: number, hi: number, opts: { loOpen?: boolean; integer?: boolean } = {}): number {
  const v = body[name];
  if (v === undefined || v === null) return fallback;
  const kind = opts.integer ? 'an integer' : 'a number';
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SamplingParamError(name, `${name} must be ${kind}, got ${describe(v)}`);
  if (opts.integer && !Number.isInteger(v)) throw new SamplingParamError(name, `${name} must be an integer, got ${v}`);
  const below = opts.loOpen ? v <= lo : v < lo;
  if (below || v > hi) {
    const range = `${opts.loOpen ? '(' : '['}${lo}, ${hi === Infinity ? 'inf)' : `${hi}]`}`;
    throw new SamplingParamError(name, `${name} must be in ${range}, got ${v}`);
  }
  return v;
}

function booleanField(body: Body, name: string, fallback: boolean): boolean {
  const v = body[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new SamplingParamError(name, `${name} must be a boolean, got ${describe(v)}`);
  return v;
}

function tokenId(name: string, v: unknown, nVocab: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new SamplingParamError(name, `${name}: ${what} must be an integer token id, got ${describe(v)}`);
  if (v < 0 || v >= nVocab) throw new SamplingParamError(name, `${name}: token id ${v} is outside the vocabulary [0, ${nVocab})`);
  return v;
}

function logitBias(body: Body, nVocab: number): Readonly<Record<number, number>> {
  const v = body.logit_bias;
  if (v === undefined || v === null) return DEFAULT_SAMPLING.logit_bias;
  if (typeof v !== 'object' || Array.isArray(v)) throw new SamplingParamError('logit_bias', `logit_bias must be an object mapping token ids to biases, got ${describe(v)}`);
  const out: Record<number, number> = {};
  for (const [key, bias] of Object.entries(v as Record<string, unknown>)) {
    // JSON keys are strings: accept only canonical non-negative integers ("50256", not "1e3" or " 7").
    if (!/^(0|[1-9]\d*)$/.test(key)) throw new SamplingParamError('logit_bias', `logit_bias keys must be token ids, got ${JSON.stringify(key)}`);
    const id = tokenId('logit_bias', Number(key), nVocab, 'key');
    if (typeof bias !== 'number' || !Number.isFinite(bias)) throw new SamplingParamError('logit_bias', `logit_bias[${key}] must be a number, got ${describe(bias)}`);
    if (bias < -100 || bias > 100) throw new SamplingParamError('logit_bias', `logit_bias[${key}] must be in [-100, 100], got ${bias}`);
    out[id] = bias;
  }
  return Object.freeze(out);
}

function stopStrings(body: Body): readonly string[] {
  const v = body.stop;
  if (v === undefined || v === null) return DEFAULT_SAMPLING.stop;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list)) throw new SamplingParamError('stop', `stop must be a string or an array of strings, got ${describe(v)}`);
  if (list.length > MAX_STOP_STRINGS) throw new SamplingParamError('stop', `stop accepts at most ${MAX_STOP_STRINGS} strings, got ${list.length}`);
  for (const s of list) if (typeof s !== 'string') throw new SamplingParamError('stop', `stop must contain only strings, got ${describe(s)}`);
  // An empty stop string would match before the first token; no client means that, so it is dropped.
  return Object.freeze([...new Set(list as string[])].filter((s) => s.length > 0));
}

function stopTokenIds(body: Body, nVocab: number): readonly number[] {
  const v = body.stop_token_ids;
  if (v === undefined || v === null) return DEFAULT_SAMPLING.stop_token_ids;
  if (!Array.isArray(v)) throw new SamplingParamError('stop_token_ids', `stop_token_ids must be an array of token ids, got ${describe(v)}`);
  return Object.freeze([...new Set(v.map((id) => tokenId('stop_token_ids', id, nVocab, 'each entry')))]);
}

function seedField(body: Body): number | undefined {
  const v = body.seed;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new SamplingParamError('seed', `seed must be an integer (|seed| < 2^53), got ${describe(v)}`);
  return v;
}

function maxTokens(body: Body): number | undefined {
  // max_completion_tokens is the current OpenAI name; max_tokens the older one. The newer one wins.
  const name = body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  return numberIn(body, name, 0, 1, Number.MAX_SAFE_INTEGER, { integer: true });
}

function logprobFields(body: Body, legacy: boolean): { logprobs: boolean; top_logprobs: number } {
  if (legacy) {
    const n = numberIn(body, 'logprobs', -1, 0, MAX_TOP_LOGPROBS, { integer: true });
    return n < 0 ? { logprobs: false, top_logprobs: 0 } : { logprobs: true, top_logprobs: n };
  }
  const logprobs = booleanField(body, 'logprobs', false);
  const top_logprobs = numberIn(body, 'top_logprobs', 0, 0, MAX_TOP_LOGPROBS, { integer: true });
  if (top_logprobs > 0 && !logprobs) throw new SamplingParamError('top_logprobs', 'top_logprobs needs logprobs: true');
  return { logprobs, top_logprobs };
}

/**
 * Reads the sampling fields of a request body. nVocab bounds token ids (logit_bias keys, stop_token_ids).
 * Throws SamplingParamError (param = field name) for wrong types and out-of-range values.
 */
export function validateSampling(raw: unknown, nVocab: number, opts: ValidateOptions = {}): SamplingParams {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SamplingParamError(null, `the request body must be a JSON object, got ${describe(raw)}`);
  const body = raw as Body;
  const d = DEFAULT_SAMPLING;
  const topK = numberIn(body, 'top_k', d.top_k, -1, Number.MAX_SAFE_INTEGER, { integer: true });
  const max_tokens = maxTokens(body);
  const min_tokens = numberIn(body, 'min_tokens', d.min_tokens, 0, Number.MAX_SAFE_INTEGER, { integer: true });
  if (max_tokens !== undefined && min_tokens > max_tokens) throw new SamplingParamError('min_tokens', `min_tokens (${min_tokens}) must not exceed max_tokens (${max_tokens})`);
  return Object.freeze({
    temperature: numberIn(body, 'temperature', d.temperature, 0, Infinity),
    top_k: topK === -1 ? 0 : topK,
    top_p: numberIn(body, 'top_p', d.top_p, 0, 1, { loOpen: true }),
    min_p: numberIn(body, 'min_p', d.min_p, 0, 1),
    repetition_penalty: numberIn(body, 'repetition_penalty', d.repetition_penalty, 0, Infinity, { loOpen: true }),
    frequency_penalty: numberIn(body, 'frequency_penalty', d.frequency_penalty, -2, 2),
    presence_penalty: numberIn(body, 'presence_penalty', d.presence_penalty, -2, 2),
    penalty_last_n: numberIn(body, 'penalty_last_n', d.penalty_last_n, -1, Number.MAX_SAFE_INTEGER, { integer: true }),
    logit_bias: logitBias(body, nVocab),
    seed: seedField(body),
    ...logprobFields(body, opts.legacyLogprobs ?? false),
    min_tokens,
    ignore_eos: booleanField(body, 'ignore_eos', d.ignore_eos),
    stop: stopStrings(body),
    stop_token_ids: stopTokenIds(body, nVocab),
    max_tokens,
  });
}

/** DEFAULT_SAMPLING with some fields replaced; for tests and internal callers that skip validation. */
export const samplingParams = (over: Partial<SamplingParams> = {}): SamplingParams => Object.freeze({ ...DEFAULT_SAMPLING, ...over });
