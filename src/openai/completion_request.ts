/**
 * POST /v1/completions bodies -> CompletionRequest (legacy text completions; field names are the openai
 * SDK's CompletionCreateParams plus the sampling extensions of src/sampling/params.ts).
 *   prompt    a string, an array of strings, an array of token ids, or an array of token-id arrays; each
 *             prompt gets its own n choices (choice index = prompt index * n + j, as OpenAI numbers them)
 *   logprobs  the legacy integer 0..20: the chosen token's logprob plus that many alternatives
 *   echo      the prompt text is prepended to each choice; `max_tokens: 0` with echo only scores the
 *             prompt (lm-evaluation-harness's loglikelihood requests)
 *   suffix    not supported (400); best_of only when equal to n
 *   max_tokens defaults to 16, as OpenAI's does for this route
 */
import type { CompletionCreateParamsBase } from 'openai/resources/completions';
import { badRequest } from './errors.ts';
import { booleanField, commonFields, describe, given, isObject, parseJsonBody, type Body, type CommonRequest, type RequestContext } from './request.ts';

export type PromptInput = { kind: 'text'; text: string } | { kind: 'ids'; ids: number[] };

export interface CompletionRequest extends CommonRequest {
  kind: 'completion';
  prompts: PromptInput[];
  echo: boolean;
  /** `max_tokens: 0` with echo: no generation, only the echoed prompt (with its logprobs when asked). */
  echoOnly: boolean;
}

/** OpenAI's default for /v1/completions (chat has none: it runs to the end of the turn or the context). */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;
/** Most prompts in one request; each is prefilled and generated in turn. */
export const MAX_PROMPTS = 64;

type CompletionField = keyof CompletionCreateParamsBase;
const field = (body: Body, name: CompletionField): unknown => body[name];

function tokenIds(v: readonly unknown[], nVocab: number, at: string): number[] {
  if (v.length === 0) throw badRequest(`${at} must not be empty`, 'prompt');
  return v.map((id, k) => {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw badRequest(`${at}[${k}] must be an integer token id, got ${describe(id)}`, 'prompt');
    if (id < 0 || id >= nVocab) throw badRequest(`${at}[${k}]: token id ${id} is outside the vocabulary [0, ${nVocab})`, 'prompt');
    return id;
  });
}

function prompts(v: unknown, nVocab: number): PromptInput[] {
  if (!given(v)) throw badRequest('prompt is required', 'prompt');
  if (typeof v === 'string') return [{ kind: 'text', text: v }];
  if (!Array.isArray(v)) throw badRequest(`prompt must be a string, an array of strings, an array of token ids or an array of token-id arrays; got ${describe(v)}`, 'prompt');
  if (v.length === 0) throw badRequest('prompt must not be an empty array', 'prompt');
  if (v.every((x) => typeof x === 'number')) return [{ kind: 'ids', ids: tokenIds(v, nVocab, 'prompt') }];
  if (v.length > MAX_PROMPTS) throw badRequest(`prompt holds ${v.length} prompts; at most ${MAX_PROMPTS} per request`, 'prompt');
  if (v.every((x) => typeof x === 'string')) return v.map((text: string) => ({ kind: 'text', text }));
  if (v.every((x) => Array.isArray(x))) return v.map((ids: unknown[], i) => ({ kind: 'ids', ids: tokenIds(ids, nVocab, `prompt[${i}]`) }));
  throw badRequest('prompt must be a string, an array of strings, an array of token ids or an array of token-id arrays (not a mix)', 'prompt');
}

/** Validates a completion body (already parsed JSON). Throws ApiError. */
export function parseCompletionRequest(raw: unknown, ctx: RequestContext): CompletionRequest {
  if (!isObject(raw)) throw badRequest(`The request body must be a JSON object, got ${describe(raw)}.`);
  const echo = booleanField(raw, 'echo' satisfies CompletionField);
  // max_tokens 0 asks for no generation; meaningful only with echo (scoring a prompt). Elsewhere the
  // sampling validation rejects it like any other out-of-range value.
  const echoOnly = echo && field(raw, 'max_tokens') === 0 && !given(raw.max_completion_tokens);
  const common = commonFields(echoOnly ? { ...raw, max_tokens: null } : raw, ctx, { legacyLogprobs: true });
  const list = prompts(field(raw, 'prompt'), ctx.nVocab);
  const suffix = field(raw, 'suffix');
  if (given(suffix)) {
    if (typeof suffix !== 'string') throw badRequest(`suffix must be a string, got ${describe(suffix)}`, 'suffix');
    if (suffix !== '') throw badRequest('suffix is not supported by this server (no fill-in-the-middle)', 'suffix');
  }
  const bestOf = field(raw, 'best_of');
  if (given(bestOf)) {
    if (typeof bestOf !== 'number' || !Number.isInteger(bestOf)) throw badRequest(`best_of must be an integer, got ${describe(bestOf)}`, 'best_of');
    if (bestOf !== common.n) throw badRequest(`best_of other than n is not supported (got best_of ${bestOf}, n ${common.n})`, 'best_of');
  }
  if (list.length * common.n > MAX_PROMPTS) throw badRequest(`prompts x n is ${list.length * common.n}; at most ${MAX_PROMPTS} choices per request`, 'n');
  return { kind: 'completion', ...common, prompts: list, echo, echoOnly };
}

/** JSON text -> CompletionRequest, or ApiError. */
export const readCompletionRequest = (text: string, ctx: RequestContext): CompletionRequest => parseCompletionRequest(parseJsonBody(text), ctx);
