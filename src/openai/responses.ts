/**
 * Response objects, shaped as the openai SDK's types (ChatCompletion, ChatCompletionChunk, Completion).
 * Pure builders: the handler decides what goes in them.
 *   ids         chatcmpl-... / cmpl-..., the same on every chunk of one response
 *   created     Unix seconds
 *   logprobs    chat: { content: [{ token, logprob, bytes, top_logprobs: [{ token, logprob, bytes }] }], refusal: null }
 *               completions (legacy): { tokens, token_logprobs, top_logprobs, text_offset }; an echoed
 *               prompt's first token has null logprob and null top_logprobs (nothing predicts it), as in OpenAI
 */
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionTokenLogprob } from 'openai/resources/chat/completions';
import type { Completion, CompletionUsage } from 'openai/resources/completions';
import type { Model } from 'openai/resources/models';
import type { TokenLogprob } from '../sampling/sample.ts';

/** What a choice can end with on the wire ('cancelled' never gets there: nobody is listening). */
export type WireFinishReason = 'stop' | 'length' | 'tool_calls';

export interface ResponseMeta {
  id: string;
  created: number; // Unix seconds
  model: string;
}

/** The token text of ids (chat logprobs need the exact bytes too, for tokens that split a character). */
export interface TokenText {
  tokenBytes(id: number): Uint8Array;
}

export const newResponseId = (prefix: 'chatcmpl' | 'cmpl'): string => `${prefix}-${crypto.randomUUID().replaceAll('-', '')}`;

export const unixSeconds = (ms = Date.now()): number => Math.floor(ms / 1000);

/** OpenAI's usage object; cached_tokens: prompt tokens whose KV came from the prompt cache. */
export const usage = (u: { promptTokens: number; completionTokens: number; cachedTokens: number }): CompletionUsage => ({
  prompt_tokens: u.promptTokens,
  completion_tokens: u.completionTokens,
  total_tokens: u.promptTokens + u.completionTokens,
  prompt_tokens_details: { cached_tokens: u.cachedTokens },
});

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** A token as text; a token holding part of a UTF-8 character shows U+FFFD (its `bytes` say the truth). */
export function tokenString(t: TokenText, id: number): string {
  return decoder.decode(t.tokenBytes(id));
}

/** Unicode code points in s: text_offset counts characters as Python's len() does (OpenAI's servers). */
export function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // a low surrogate completes the pair its high surrogate counted
  }
  return n;
}

// ---- chat ----

export type ChatLogprobs = NonNullable<ChatCompletion.Choice['logprobs']>;

/** One position of chat-format logprobs. */
export function chatTokenLogprob(t: TokenText, token: number, logprob: number, top: readonly TokenLogprob[] = []): ChatCompletionTokenLogprob {
  const entry = (id: number, lp: number) => ({ token: tokenString(t, id), logprob: lp, bytes: Array.from(t.tokenBytes(id)) });
  return { ...entry(token, logprob), top_logprobs: top.map((x) => entry(x.token, x.logprob)) };
}

export const chatLogprobs = (content: ChatCompletionTokenLogprob[]): ChatLogprobs => ({ content, refusal: null });

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatChoiceResult {
  index: number;
  text: string;
  finishReason: WireFinishReason;
  logprobs: ChatLogprobs | null;
  toolCalls?: ChatToolCall[]; // parsed from the text (which then holds only what was outside the calls)
}

export function chatCompletion(meta: ResponseMeta, choices: readonly ChatChoiceResult[], u: CompletionUsage): ChatCompletion {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: choices.map((c) => ({
      index: c.index,
      message: c.toolCalls?.length
        ? { role: 'assistant', content: c.text.trim() ? c.text : null, refusal: null, tool_calls: c.toolCalls }
        : { role: 'assistant', content: c.text, refusal: null },
      logprobs: c.logprobs,
      finish_reason: c.finishReason,
    })),
    usage: u,
  };
}

export type ChatDelta = ChatCompletionChunk.Choice.Delta;

export function chatChunkChoice(index: number, delta: ChatDelta, finishReason: WireFinishReason | null = null, logprobs: ChatLogprobs | null = null): ChatCompletionChunk.Choice {
  return { index, delta, logprobs, finish_reason: finishReason };
}

/**
 * One chunk. `u` undefined leaves usage out (the client did not ask for it); with include_usage every
 * chunk carries `usage: null` except the last, which has `choices: []` and the numbers.
 */
export function chatChunk(meta: ResponseMeta, choices: ChatCompletionChunk.Choice[], u?: CompletionUsage | null): ChatCompletionChunk {
  const chunk: ChatCompletionChunk = { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, choices };
  if (u !== undefined) chunk.usage = u;
  return chunk;
}

// ---- completions (legacy) ----

/** The legacy format, with the nulls OpenAI sends for an echoed prompt's first token (the SDK type omits them). */
export interface LegacyLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

export const emptyLegacyLogprobs = (): LegacyLogprobs => ({ tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] });

/**
 * Appends one position. `top` are the requested alternatives; the chosen token is always in the map as
 * well ("up to logprobs+1 elements", OpenAI's docs). Tokens with the same text share one key (the
 * more likely one's value stays). `offset` is where this token's text starts in the choice's text.
 */
export function pushLegacyLogprob(out: LegacyLogprobs, t: TokenText, token: number, logprob: number | null, top: readonly TokenLogprob[] | null, offset: number): void {
  out.tokens.push(tokenString(t, token));
  out.token_logprobs.push(logprob);
  out.text_offset.push(offset);
  if (logprob === null || top === null) {
    out.top_logprobs.push(null);
    return;
  }
  // no prototype: a token may well read "__proto__" or "toString"
  const map = Object.create(null) as Record<string, number>;
  for (const x of [...top, { token, logprob }]) {
    const key = tokenString(t, x.token);
    if (!Object.hasOwn(map, key) || map[key] < x.logprob) map[key] = x.logprob;
  }
  out.top_logprobs.push(map);
}

export interface TextChoice {
  index: number;
  text: string;
  logprobs: LegacyLogprobs | null;
  finish_reason: WireFinishReason | null;
}

export type TextCompletion = Omit<Completion, 'choices' | 'usage'> & { choices: TextChoice[]; usage?: CompletionUsage | null };

export function textCompletion(meta: ResponseMeta, choices: TextChoice[], u?: CompletionUsage | null): TextCompletion {
  const out: TextCompletion = { id: meta.id, object: 'text_completion', created: meta.created, model: meta.model, choices };
  if (u !== undefined) out.usage = u;
  return out;
}

// ---- models ----

export const modelObject = (id: string, created: number): Model => ({ id, object: 'model', created, owned_by: 'tabserve' });

export const modelList = (models: Model[]): { object: 'list'; data: Model[] } => ({ object: 'list', data: models });
